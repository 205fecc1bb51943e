#!/usr/bin/env bash
# Redis client throughput beside redis-benchmark, on one redis-server (unix
# socket in a temp dir, persistence off): GET and SET from 1,000 fibers in
# one worker (redis_bench) vs `redis-benchmark -c 50` (no pipelining) and
# `redis-benchmark -c 50 -P 16`. Each figure is the median of RUNS runs, all
# taken in the same session (the 2-core machine drifts between sessions).
#
#   bench/redis/compare.sh [build-dir]     (env: RUNS=5 REQUESTS=500000
#                                           FIBERS=1000 POOL=2)
set -euo pipefail
BUILD=${1:-build}
BENCH="$BUILD/bench/redis/redis_bench"
RUNS=${RUNS:-5}
REQUESTS=${REQUESTS:-500000}
FIBERS=${FIBERS:-1000}
POOL=${POOL:-2}
[ -x "$BENCH" ] || { echo "compare.sh: build redis_bench first ($BENCH)" >&2; exit 2; }

DIR=$(mktemp -d /tmp/spindle-redis-bench-XXXXXX)
redis-server --port 0 --unixsocket "$DIR/redis.sock" --save '' --appendonly no \
  --daemonize no --dir "$DIR" --logfile "$DIR/redis.log" &
REDIS_PID=$!
cleanup() { kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 100); do
  redis-cli -s "$DIR/redis.sock" ping >/dev/null 2>&1 && break
  sleep 0.05
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# redis-benchmark --csv: "test","rps",... -> rps
rb() { redis-benchmark -s "$DIR/redis.sock" -q --csv "$@" | awk -F'"' 'NR>1 || $2!="test" {if ($4+0>0) print $4}'; }

declare -A R
for cmd in GET SET; do
  lc=$(echo "$cmd" | tr A-Z a-z)
  ours=(); plain=(); piped=()
  for _ in $(seq "$RUNS"); do
    ours+=("$("$BENCH" --address "unix:$DIR/redis.sock" --command "$cmd" --fibers "$FIBERS" \
              --requests "$REQUESTS" --pool-size "$POOL" | awk '{print $2}')")
    plain+=("$(rb -t "$lc" -n "$REQUESTS" -c 50)")
    piped+=("$(rb -t "$lc" -n $((REQUESTS * 2)) -c 50 -P 16)")
  done
  R[$cmd,ours]=$(printf '%s\n' "${ours[@]}" | median)
  R[$cmd,plain]=$(printf '%s\n' "${plain[@]}" | median)
  R[$cmd,piped]=$(printf '%s\n' "${piped[@]}" | median)
  echo "$cmd runs: spindle ${ours[*]} | redis-benchmark ${plain[*]} | -P 16 ${piped[*]}" >&2
done

printf '%-4s %14s %22s %22s %12s %12s\n' cmd "spindle ops/s" "redis-benchmark -c50" \
  "redis-benchmark -P16" "vs plain" "vs -P16"
for cmd in GET SET; do
  awk -v c="$cmd" -v o="${R[$cmd,ours]}" -v p="${R[$cmd,plain]}" -v q="${R[$cmd,piped]}" \
    'BEGIN {printf "%-4s %14.0f %22.0f %22.0f %11.2fx %11.2fx\n", c, o, p, q, o/p, o/q}'
done
echo "(median of $RUNS runs; $FIBERS fibers, pool $POOL, $REQUESTS requests; 3-byte values)"
