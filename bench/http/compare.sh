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
build=${SPINDLE_BUILD_DIR:-$root/build}
runs=${RUNS:-5}
duration=${DURATION:-5}
conns=${CONNS:-64}
workers=${WORKERS:-2}
nginx_workers=${NGINX_WORKERS:-1}

module=$build/nginx-module/ngx_http_spindle_module.so
spindled=$build/daemon/spindled
fcgi=$build/bench/http/fcgi_hello
hello_so=$(find "$build/examples" -name '*hello*.so' | head -n 1)
for f in "$module" "$spindled" "$fcgi" "$hello_so"; do
  [ -e "$f" ] || { echo "compare.sh: missing $f (run scripts/build)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/spindle-bench.XXXXXX)
pids=()
cleanup() {
  [ -f "$tmp/logs/nginx.pid" ] && kill -QUIT "$(cat "$tmp/logs/nginx.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pkill -f "$fcgi" 2>/dev/null || true
  sleep 0.5
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/logs" "$tmp/tmp" "$tmp/conf"
chmod 755 "$tmp"   # nginx workers (user nobody) must reach the sockets

cat > "$tmp/spindled.yaml" <<YAML
listen:
  path: $tmp/spindle.sock
  mode: "0666"
workers: $workers
log:
  level: warn
apps:
  - name: hello
    path: $hello_so
    mount: ""
YAML
"$spindled" -c "$tmp/spindled.yaml" 2>"$tmp/logs/spindled.log" &
pids+=($!)

spawn-fcgi -s "$tmp/fcgi.sock" -M 0666 -F "$workers" -- "$fcgi" >/dev/null

# A free port: random in 20000-39999, skipping any that already answers.
port=$((20000 + RANDOM % 20000))
while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((20000 + RANDOM % 20000)); done
cat > "$tmp/conf/nginx.conf" <<NGINX
load_module $module;
daemon on; master_process on; worker_processes $nginx_workers;
pid logs/nginx.pid; error_log logs/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 10000; }
http {
  access_log off;
  client_body_temp_path tmp/body; proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi; uwsgi_temp_path tmp/uwsgi; scgi_temp_path tmp/scgi;
  upstream spindle { server unix:$tmp/spindle.sock; keepalive 256; }
  server {
    listen 127.0.0.1:$port backlog=4096;
    location = /direct { default_type text/plain; return 200 "Hello, World!"; }
    location = /hello { spindle_pass spindle; }
    location = /fcgi { fastcgi_pass unix:$tmp/fcgi.sock; }
  }
}
NGINX
/usr/sbin/nginx -p "$tmp" -c conf/nginx.conf

for i in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break
  sleep 0.1
done
for t in direct hello fcgi; do
  body=$(curl -fs "http://127.0.0.1:$port/$t") || { echo "compare.sh: /$t failed" >&2; cat "$tmp/logs/error.log" >&2; exit 1; }
  [ "$body" = "Hello, World!" ] || { echo "compare.sh: /$t answered '$body'" >&2; exit 1; }
done

# wrk prints "Requests/sec: N" and, with --latency, "99% X{us,ms,s}".
run_wrk() {
  local out
  out=$(wrk -t1 -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$port/$1")
  local rps p99 errs
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  echo "$1 $rps $p99 ${errs:-none}"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

: > "$tmp/results"
for r in $(seq 1 "$runs"); do
  for t in direct hello fcgi; do
    line=$(run_wrk "$t")
    echo "run $r: $line"
    echo "$line" >> "$tmp/results"
  done
done

echo
printf '%-8s %12s %10s\n' target "req/s" "p99 ms"
declare -A rps p99
for t in direct hello fcgi; do
  rps[$t]=$(awk -v t="$t" '$1 == t {print $2}' "$tmp/results" | median)
  p99[$t]=$(awk -v t="$t" '$1 == t {print $3}' "$tmp/results" | median)
  printf '%-8s %12.0f %10.2f\n' "$t" "${rps[$t]}" "${p99[$t]}"
done
echo
awk -v h="${rps[hello]}" -v d="${rps[direct]}" -v f="${rps[fcgi]}" 'BEGIN {
  printf "spindle / nginx-direct = %.2f\n", h / d
  printf "spindle / fastcgi      = %.2f\n", h / f }'
echo "(medians of $runs runs; wrk -t1 -c$conns -d${duration}s; nginx workers $nginx_workers; spindled workers $workers; fastcgi processes $workers)"
