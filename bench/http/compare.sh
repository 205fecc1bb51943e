#!/usr/bin/env bash
# bench/http/compare.sh: side-by-side plaintext benchmark on the same nginx
# settings, in one run: nginx `return 200` (the ceiling), Spindle /hello
# (nginx -> module -> spindled), and nginx -> FastCGI -> a libfcgi C program
# (the classic alternative) with as many processes as spindled has workers.
# Runs wrk RUNS times per target, interleaved, and reports the medians of
# requests/s and p99 latency and the ratios between them.
#
# Usage: bench/http/compare.sh   (env: RUNS=5 DURATION=5 CONNS=64 WORKERS=2
#                                  NGINX_WORKERS=1 SPINDLE_BUILD_DIR=build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/stack.sh"
runs=${RUNS:-5}
duration=${DURATION:-5}
conns=${CONNS:-64}
workers=${WORKERS:-2}
fcgi=$STACK_BUILD/bench/http/fcgi_hello
hello_so=$STACK_BUILD/examples/hello/hello.so
stack_need "$STACK_MODULE" "$STACK_SPINDLED" "$fcgi" "$hello_so"

stack_init bench
stack_daemon_yaml "$STACK/spindle.sock" "$workers" warn >"$STACK/spindled.yaml" <<YAML
apps:
  - name: hello
    path: $hello_so
    mount: ""
YAML
stack_daemon_start "$STACK/spindled.yaml"
# spawn-fcgi writes one pid per line (pkill -F reads only the first); the
# trap comes first so that a spawn failing halfway leaves nothing behind.
trap '[ -f "$STACK/fcgi.pid" ] && xargs -r kill <"$STACK/fcgi.pid" 2>/dev/null; stack_cleanup' EXIT
spawn-fcgi -s "$STACK/fcgi.sock" -M 0666 -F "$workers" -P "$STACK/fcgi.pid" -- "$fcgi" >/dev/null

port=$(stack_port)
stack_nginx_conf "
  upstream spindle { server unix:$STACK/spindle.sock; keepalive 256; }
  server {
    listen 127.0.0.1:$port backlog=4096;
    location = /direct { default_type text/plain; return 200 \"Hello, World!\"; }
    location = /hello { spindle_pass spindle; }
    location = /fcgi { fastcgi_pass unix:$STACK/fcgi.sock; }
  }"
stack_nginx_start
stack_wait_http "http://127.0.0.1:$port/hello"
for t in direct hello fcgi; do
  stack_expect_body "http://127.0.0.1:$port/$t" "Hello, World!"
done

: >"$STACK/results"
for r in $(seq 1 "$runs"); do
  for t in direct hello fcgi; do
    line="$t $(stack_wrk "http://127.0.0.1:$port/$t" "$conns" "$duration")"
    echo "run $r: $line"
    echo "$line" >>"$STACK/results"
  done
done

echo
printf '%-8s %12s %10s\n' target "req/s" "p99 ms"
declare -A rps p99
for t in direct hello fcgi; do
  rps[$t]=$(awk -v t="$t" '$1 == t {print $2}' "$STACK/results" | stack_median)
  p99[$t]=$(awk -v t="$t" '$1 == t {print $3}' "$STACK/results" | stack_median)
  printf '%-8s %12.0f %10.2f\n' "$t" "${rps[$t]}" "${p99[$t]}"
done
echo
awk -v h="${rps[hello]}" -v d="${rps[direct]}" -v f="${rps[fcgi]}" 'BEGIN {
  printf "spindle / nginx-direct = %.2f\n", h / d
  printf "spindle / fastcgi      = %.2f\n", h / f }'
echo "(medians of $runs runs; wrk -t1 -c$conns -d${duration}s; nginx workers ${NGINX_WORKERS:-1}; spindled workers $workers; fastcgi processes $workers)"
