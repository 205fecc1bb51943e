#!/usr/bin/env bash
# bench/scheduler/knobs.sh: measures the two scheduler knobs of spindled.yaml
# (docs/config.md) through real nginx + the spindle module with wrk:
# scheduler.max_ready_per_poll on kept-alive upstream connections, and
# scheduler.accept_batch with a new upstream connection per request (no
# `keepalive` in the upstream block, so every request is an accept). Prints
# the median requests/s and p99 latency of RUNS runs per setting, interleaved.
#
# Usage: bench/scheduler/knobs.sh   (env: SPINDLE_BUILD_DIR=build RUNS=3
#        DURATION=5 CONNS=128 WORKERS=2 URI=/hello)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/stack.sh"
runs=${RUNS:-3}
duration=${DURATION:-5}
conns=${CONNS:-128}
workers=${WORKERS:-2}
uri=${URI:-/hello}
hello_so=$STACK_BUILD/examples/hello/hello.so
stack_need "$STACK_MODULE" "$STACK_SPINDLED" "$hello_so"

stack_init knobs
port=$(stack_port)
stack_nginx_conf "
  upstream ka { server unix:$STACK/spindle.sock; keepalive 256; }
  upstream fresh { server unix:$STACK/spindle.sock; }
  server {
    listen 127.0.0.1:$port backlog=4096;
    location /ka/ { rewrite ^/ka(/.*)\$ \$1 break; spindle_pass ka; }
    location /fresh/ { rewrite ^/fresh(/.*)\$ \$1 break; spindle_pass fresh; }
  }"
stack_nginx_start

start_daemon() {  # $1 = max_ready_per_poll, $2 = accept_batch
  stack_daemon_yaml "$STACK/spindle.sock" "$workers" warn >"$STACK/spindled.yaml" <<YAML
scheduler:
  max_ready_per_poll: $1
  accept_batch: $2
apps:
  - name: hello
    path: $hello_so
    mount: /
YAML
  stack_daemon_start "$STACK/spindled.yaml"
  stack_wait_http "http://127.0.0.1:$port/ka/hello"
}

# name max_ready_per_poll accept_batch upstream
settings=(
  "ready=1     1    64 ka"
  "ready=64    64   64 ka"
  "ready=1024  1024 64 ka"
  "accept=1    64   1  fresh"
  "accept=64   64   64 fresh"
)
: >"$STACK/results"
for r in $(seq 1 "$runs"); do
  for s in "${settings[@]}"; do
    read -r name ready accept up <<<"$s"
    start_daemon "$ready" "$accept"
    line=$(stack_wrk "http://127.0.0.1:$port/$up$uri" "$conns" "$duration")
    stack_daemon_stop
    echo "run $r: $name ($up) $line"
    echo "$name $line" >>"$STACK/results"
  done
done
echo
printf '%-12s %10s %10s\n' setting "req/s" "p99 ms"
for s in "${settings[@]}"; do
  read -r name _ <<<"$s"
  rps=$(awk -v t="$name" '$1 == t {print $2}' "$STACK/results" | stack_median)
  p99=$(awk -v t="$name" '$1 == t {print $3}' "$STACK/results" | stack_median)
  printf '%-12s %10.0f %10.2f\n' "$name" "$rps" "$p99"
done
