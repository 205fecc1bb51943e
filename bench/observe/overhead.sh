#!/usr/bin/env bash
# bench/observe/overhead.sh: what observability costs per request, measured
# with wrk through the real nginx + spindle module against the hello example:
# (a) metrics region off, no access log; (b) metrics on (requests by
# route/status, histograms, in-flight table, gauges), no access log; (c)
# metrics on and an access-log line per request (info, to a file). Prints the
# median req/s and p99 of RUNS interleaved runs each.
#
# Usage: bench/observe/overhead.sh  (env: SPINDLE_BUILD_DIR=build RUNS=3
#        DURATION=5 CONNS=64 WORKERS=2)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/scripts/lib/stack.sh"
runs=${RUNS:-3}; duration=${DURATION:-5}; conns=${CONNS:-64}; workers=${WORKERS:-2}
hello_so=$STACK_BUILD/examples/hello/hello.so
stack_need "$STACK_MODULE" "$STACK_SPINDLED" "$hello_so"

stack_init obs
port=$(stack_port)
stack_nginx_conf "
  upstream app { server unix:$STACK/spindle.sock; keepalive 64; }
  server { listen 127.0.0.1:$port; location / { spindle_pass app; } }"
stack_nginx_start

start_daemon() {  # $1 = metrics enabled (true/false), $2 = access_log
  stack_daemon_yaml "$STACK/spindle.sock" "$workers" info >"$STACK/spindled.yaml" <<YAML
  file: $STACK/access.log
  access_log: $2
metrics:
  enabled: $1
admin:
  path: $STACK/admin.sock
  mode: "0666"
apps:
  - name: hello
    path: $hello_so
    mount: /
YAML
  rm -f "$STACK/access.log"
  stack_daemon_start "$STACK/spindled.yaml"
  stack_wait_http "http://127.0.0.1:$port/hello"
}

settings=("false off" "true off" "true info")
: >"$STACK/results"
for run in $(seq "$runs"); do
  for i in "${!settings[@]}"; do
    start_daemon ${settings[$i]}
    line=$(stack_wrk "http://127.0.0.1:$port/hello" "$conns" "$duration")
    if [ "${settings[$i]}" = "true info" ]; then
      echo "run $run: access lines written: $(grep -c 'access method=' "$STACK/access.log")" >&2
    fi
    stack_daemon_stop
    echo "run $run: ${settings[$i]}: $line"
    echo "$i $line" >>"$STACK/results"
  done
done
printf '%-34s %12s %10s\n' "setting" "req/s" "p99 ms"
for i in "${!settings[@]}"; do
  read -r m a <<<"${settings[$i]}"
  printf '%-34s %12.0f %10.2f\n' "metrics=$m access_log=$a" \
    "$(awk -v t="$i" '$1 == t {print $2}' "$STACK/results" | stack_median)" \
    "$(awk -v t="$i" '$1 == t {print $3}' "$STACK/results" | stack_median)"
done
