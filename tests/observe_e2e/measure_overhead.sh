#!/usr/bin/env bash
# tests/observe_e2e/measure_overhead.sh: what observability costs per request,
# measured with wrk through the real nginx + spindle module against the hello
# example: (a) metrics region off, no access log; (b) metrics on (requests by
# route/status, histograms, in-flight table, gauges), no access log; (c)
# metrics on and an access-log line per request (info, to a file; stderr to
# /dev/null). Prints the median req/s and p99 of RUNS interleaved runs each.
# Not a test: timings on a shared 2-core machine are noisy.
#
# Usage: tests/observe_e2e/measure_overhead.sh  (env: BUILD=build-observe-integration
#        RUNS=3 DURATION=5 CONNS=64 WORKERS=2)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build-observe-integration}
runs=${RUNS:-3}; duration=${DURATION:-5}; conns=${CONNS:-64}; workers=${WORKERS:-2}
module=$build/nginx-module/ngx_http_spindle_module.so
spindled=$build/daemon/spindled
hello_so=$build/examples/hello/hello.so
for f in "$module" "$spindled" "$hello_so"; do
  [ -e "$f" ] || { echo "measure_overhead.sh: missing $f" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/spindle-obs.XXXXXX)
daemon_pid=
stop_daemon() {
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=
  fi
}
cleanup() {
  [ -f "$tmp/logs/nginx.pid" ] && kill -QUIT "$(cat "$tmp/logs/nginx.pid")" 2>/dev/null || true
  stop_daemon
  sleep 0.3
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/logs" "$tmp/tmp" "$tmp/conf"
chmod 755 "$tmp"

start_daemon() {  # $1 = metrics enabled (true/false), $2 = access_log
  cat > "$tmp/spindled.yaml" <<YAML
listen:
  path: $tmp/spindle.sock
  mode: "0666"
workers: $workers
log:
  level: info
  file: $tmp/spindled.log
  access_log: $2
metrics:
  enabled: $1
admin:
  path: $tmp/admin.sock
  mode: "0666"
apps:
  - name: hello
    path: $hello_so
    mount: /
YAML
  rm -f "$tmp/spindled.log"
  "$spindled" -c "$tmp/spindled.yaml" 2>/dev/null &
  daemon_pid=$!
  for _ in $(seq 100); do
    n=$(grep -c 'worker ready' "$tmp/spindled.log" 2>/dev/null || true)
    [ "${n:-0}" -ge "$workers" ] && return
    sleep 0.1
  done
  echo "spindled did not start" >&2; exit 1
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$tmp/conf/nginx.conf" <<NGINX
load_module $module;
daemon on; worker_processes 1; pid logs/nginx.pid; error_log logs/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path tmp/body; proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi; uwsgi_temp_path tmp/uwsgi; scgi_temp_path tmp/scgi;
  upstream app { server unix:$tmp/spindle.sock; keepalive 64; }
  server { listen 127.0.0.1:$port; location / { spindle_pass app; } } }
NGINX
nginx -p "$tmp" -c conf/nginx.conf

declare -A rps p99
for setting in "false off" "true off" "true info"; do rps[$setting]=""; p99[$setting]=""; done
for run in $(seq "$runs"); do
  for setting in "false off" "true off" "true info"; do
    start_daemon $setting
    out=$(wrk -t1 -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$port/hello")
    rps[$setting]+="$(awk '/Requests\/sec/ {print $2}' <<<"$out") "
    p99[$setting]+="$(awk '$1=="99%" {print $2}' <<<"$out") "
    if [ "$setting" = "true info" ]; then
      echo "run $run: access lines written: $(grep -c 'access method=' "$tmp/spindled.log")" >&2
    fi
    stop_daemon
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-34s %12s %10s\n' "setting" "req/s" "p99"
for setting in "false off" "true off" "true info"; do
  read -r m a <<<"$setting"
  printf '%-34s %12s %10s   (runs: %s)\n' "metrics=$m access_log=$a" \
    "$(median <<<"${rps[$setting]}")" "$(median <<<"${p99[$setting]}")" "${rps[$setting]}"
done
