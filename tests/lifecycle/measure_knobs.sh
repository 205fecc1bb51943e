#!/usr/bin/env bash
# tests/lifecycle/measure_knobs.sh: measures the two scheduler knobs of
# spindled.yaml (docs/config.md) through real nginx + the spindle module with
# wrk: scheduler.max_ready_per_poll on kept-alive upstream connections, and
# scheduler.accept_batch with a new upstream connection per request (no
# `keepalive` in the upstream block, so every request is an accept). Prints
# the median requests/s and p99 latency of RUNS runs per setting, interleaved.
# Not a test (timings on a shared machine are noisy): a script for the docs.
#
# Usage: tests/lifecycle/measure_knobs.sh   (env: BUILD=build-lifecycle RUNS=3
#        DURATION=5 CONNS=128 WORKERS=2 URI=/hello)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build-lifecycle}
runs=${RUNS:-3}
duration=${DURATION:-5}
conns=${CONNS:-128}
workers=${WORKERS:-2}
uri=${URI:-/hello}
module=$build/nginx-module/ngx_http_spindle_module.so
spindled=$build/daemon/spindled
hello_so=$build/examples/hello/hello.so
for f in "$module" "$spindled" "$hello_so"; do
  [ -e "$f" ] || { echo "measure_knobs.sh: missing $f" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/spindle-knobs.XXXXXX)
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
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/logs" "$tmp/tmp" "$tmp/conf"
chmod 755 "$tmp"  # nginx's workers (www-data) connect to the socket in it

start_daemon() {  # $1 = max_ready_per_poll, $2 = accept_batch
  cat > "$tmp/spindled.yaml" <<YAML
listen:
  path: $tmp/spindle.sock
  mode: "0666"
workers: $workers
log:
  level: warn
scheduler:
  max_ready_per_poll: $1
  accept_batch: $2
apps:
  - name: hello
    path: $hello_so
    mount: /
YAML
  "$spindled" -c "$tmp/spindled.yaml" 2>>"$tmp/logs/spindled.log" &
  daemon_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/ka/hello" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "measure_knobs.sh: spindled did not come up" >&2
  cat "$tmp/logs/spindled.log" >&2
  exit 1
}

port=$((20000 + RANDOM % 20000))
while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((20000 + RANDOM % 20000)); done
cat > "$tmp/conf/nginx.conf" <<NGINX
load_module $module;
daemon on; master_process on; worker_processes 1;
pid logs/nginx.pid; error_log logs/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 10000; }
http {
  access_log off;
  client_body_temp_path tmp/body; proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi; uwsgi_temp_path tmp/uwsgi; scgi_temp_path tmp/scgi;
  upstream ka { server unix:$tmp/spindle.sock; keepalive 256; }
  upstream fresh { server unix:$tmp/spindle.sock; }
  server {
    listen 127.0.0.1:$port backlog=4096;
    location /ka/ { rewrite ^/ka(/.*)$ \$1 break; spindle_pass ka; }
    location /fresh/ { rewrite ^/fresh(/.*)$ \$1 break; spindle_pass fresh; }
  }
}
NGINX
/usr/sbin/nginx -p "$tmp" -c conf/nginx.conf

run_wrk() {  # $1 = upstream (ka|fresh)
  local out rps p99 errs
  out=$(wrk -t1 -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$port/$1$uri")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  echo "$rps $p99 ${errs:-none}"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# name max_ready_per_poll accept_batch upstream
settings=(
  "ready=1     1    64 ka"
  "ready=64    64   64 ka"
  "ready=1024  1024 64 ka"
  "accept=1    64   1  fresh"
  "accept=64   64   64 fresh"
)
: > "$tmp/results"
for r in $(seq 1 "$runs"); do
  for s in "${settings[@]}"; do
    read -r name ready accept up <<<"$s"
    start_daemon "$ready" "$accept"
    line=$(run_wrk "$up")
    stop_daemon
    echo "run $r: $name ($up) $line"
    echo "$name $line" >> "$tmp/results"
  done
done
echo
printf '%-12s %10s %10s\n' setting "req/s" "p99 ms"
for s in "${settings[@]}"; do
  read -r name _ <<<"$s"
  rps=$(awk -v t="$name" '$1 == t {print $2}' "$tmp/results" | median)
  p99=$(awk -v t="$name" '$1 == t {print $3}' "$tmp/results" | median)
  printf '%-12s %10.0f %10.2f\n' "$name" "$rps" "$p99"
done
