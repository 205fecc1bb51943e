# scripts/lib/stack.sh: stands up a private Spindle stack for a script — a
# temp prefix, a free port, nginx (the Debian binary with the built module)
# around a given http block, spindled on a given YAML, redis-server on a unix
# socket, a PostgreSQL 15 on a unix socket — and takes it down on exit.
# Sourced by scripts/run and the measuring scripts under bench/; the C++
# tests use tests/support instead.
#
#   . "$root/scripts/lib/stack.sh"
#   stack_init bench                    # $STACK: the prefix; cleanup on EXIT
#   port=$(stack_port)
#   stack_nginx_conf "upstream app { server unix:$STACK/d.sock; keepalive 64; }
#                     server { listen 127.0.0.1:$port; location / { spindle_pass app; } }"
#   stack_daemon_yaml "$STACK/d.sock" 2 warn <<<"apps: [...]" >"$STACK/spindled.yaml"
#   stack_daemon_start "$STACK/spindled.yaml"
#   stack_nginx_start
#   stack_wait_http "http://127.0.0.1:$port/hello"
#   stack_wrk "http://127.0.0.1:$port/hello" 64 5    # "req/s p99-ms errors"
#   stack_postgres_start "$STACK/postgres"          # initdb on first use, then postgres
#
# Needs $STACK_BUILD (default build/): the module, spindled and the examples.

stack_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_BUILD=${STACK_BUILD:-${SPINDLE_BUILD_DIR:-$stack_root/build}}
STACK_MODULE=$STACK_BUILD/nginx-module/ngx_http_spindle_module.so
STACK_SPINDLED=$STACK_BUILD/daemon/spindled
STACK=
stack_daemon_pid=
stack_redis_pid=
stack_postgres_pid=
stack_extra_pids=()

stack_die() { echo "${0##*/}: $*" >&2; exit 1; }

# Checks that each built file exists ("run scripts/build" otherwise).
stack_need() {
  local f
  for f in "$@"; do [ -e "$f" ] || stack_die "missing $f (run scripts/build)"; done
}

# A new prefix /tmp/spindle-$1.XXXXXX (or the directory $2, emptied and
# kept; entries named in $3, space-separated, survive the emptying) with
# logs/, tmp/ and conf/; everything started through this file is stopped,
# and a temp prefix removed (unless KEEP=1), when the script exits.
stack_init() {
  # Each step fails the script by itself: under `set -e` a failure inside an
  # `a && b && c` list does not, and an empty $STACK would put logs/ and
  # conf/ at the root of the file system.
  if [ -n "${2:-}" ]; then
    STACK=$2
    KEEP=1
    local keep=() name
    for name in ${3:-}; do keep+=(! -name "$name"); done
    { mkdir -p "$STACK" &&
      find "$STACK" -mindepth 1 -maxdepth 1 "${keep[@]}" -exec rm -rf {} +; } ||
      stack_die "cannot empty $STACK"
  else
    STACK=$(mktemp -d "${TMPDIR:-/tmp}/spindle-$1.XXXXXX") || stack_die "mktemp failed"
  fi
  trap stack_cleanup EXIT
  mkdir -p "$STACK/logs" "$STACK/tmp" "$STACK/conf" || stack_die "cannot create $STACK/*"
  chmod 755 "$STACK"  # nginx's workers reach the sockets in it
}

stack_cleanup() {
  local p
  set +e
  [ -f "$STACK/logs/nginx.pid" ] && kill -QUIT "$(cat "$STACK/logs/nginx.pid")" 2>/dev/null
  stack_daemon_stop
  # SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for its clients).
  [ -n "$stack_postgres_pid" ] && kill -INT "$stack_postgres_pid" 2>/dev/null
  for p in "${stack_extra_pids[@]}" $stack_redis_pid; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  sleep 0.3
  if [ -n "${KEEP:-}" ]; then echo "${0##*/}: logs in $STACK" >&2; else rm -rf "$STACK"; fi
}

# Remembers a pid started by the caller, to be killed at exit.
stack_track() { stack_extra_pids+=("$@"); }

# A free 127.0.0.1 TCP port (the kernel picks it).
stack_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Writes $STACK/conf/nginx.conf: the module, pid and logs in the prefix, the
# temp paths, and $1 inside `http { }`. Settings (env): NGINX_WORKERS (1),
# NGINX_CONNECTIONS (10000), NGINX_ACCESS_LOG (off), NGINX_ERROR_LEVEL (warn).
# Workers run as root when the script does, so they reach what it created.
stack_nginx_conf() {
  local user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user root;"
  cat >"$STACK/conf/nginx.conf" <<NGINX
load_module $STACK_MODULE;
$user_line
worker_processes ${NGINX_WORKERS:-1};
worker_rlimit_nofile 20000;
pid $STACK/logs/nginx.pid;
error_log $STACK/logs/error.log ${NGINX_ERROR_LEVEL:-warn};
events { worker_connections ${NGINX_CONNECTIONS:-10000}; }
http {
  access_log ${NGINX_ACCESS_LOG:-off};
  client_body_temp_path $STACK/tmp/body; proxy_temp_path $STACK/tmp/proxy;
  fastcgi_temp_path $STACK/tmp/fastcgi; uwsgi_temp_path $STACK/tmp/uwsgi;
  scgi_temp_path $STACK/tmp/scgi;
$1
}
NGINX
  nginx -q -t -p "$STACK" -c "$STACK/conf/nginx.conf" || stack_die "nginx -t failed"
}

# Starts nginx on $STACK/conf/nginx.conf (as a daemon; extra args go to it,
# e.g. -g 'daemon off;' for a foreground nginx the caller waits on).
stack_nginx_start() { nginx -p "$STACK" -c "$STACK/conf/nginx.conf" "$@"; }

# Prints a spindled.yaml: listen on $1 (mode 0666), $2 workers, log level $3,
# then the YAML on stdin (more sections: apps, scheduler, metrics, ...). The
# `log:` section comes last, so indented lines at the top of stdin add to it.
stack_daemon_yaml() {
  printf 'listen:\n  path: %s\n  mode: "0666"\nworkers: %s\nlog:\n  level: %s\n' "$1" "$2" "$3"
  cat
}

# Starts spindled on config $1 (stderr to $STACK/logs/spindled.log) after
# --check-config, so a bad config fails here with its message.
stack_daemon_start() {
  "$STACK_SPINDLED" --check-config -c "$1" >/dev/null || stack_die "bad config $1"
  "$STACK_SPINDLED" -c "$1" 2>>"$STACK/logs/spindled.log" &
  stack_daemon_pid=$!
}

stack_daemon_stop() {
  [ -n "$stack_daemon_pid" ] || return 0
  kill "$stack_daemon_pid" 2>/dev/null || true
  wait "$stack_daemon_pid" 2>/dev/null || true
  stack_daemon_pid=
}

# Starts redis-server on the unix socket $1 only (no port, no persistence).
stack_redis_start() {
  local dir
  dir=$(dirname "$1")
  redis-server --port 0 --unixsocket "$1" --unixsocketperm 770 --save '' \
    --appendonly no --daemonize no --dir "$dir" --logfile "$dir/redis.log" &
  stack_redis_pid=$!
}

# Waits (10 s at most) until the redis-server on the unix socket $1 answers.
stack_wait_redis() {
  local _
  for _ in $(seq 100); do
    [ "$(redis-cli -s "$1" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  stack_die "redis-server on $1 did not answer"
}

# A PostgreSQL 15 cluster in $1/data (initdb on first use: superuser and
# database `techempower`, trust authentication on the socket only), started
# in the background on the unix socket $1/.s.PGSQL.5432 alone (no TCP; the
# socket mode 0700, so only its owner and root get in), log in
# $STACK/logs/postgres.log. PostgreSQL refuses to run as root: as root the
# cluster belongs to, and postgres runs as, `nobody`. Waits (30 s at most)
# until it answers. stack_postgres_conninfo prints the connection string.
STACK_PG_BIN=${STACK_PG_BIN:-/usr/lib/postgresql/15/bin}
stack_postgres_start() {
  local dir=$1 as=() _
  mkdir -p "$dir" || stack_die "cannot create $dir"
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody: "$dir" || stack_die "cannot chown $dir to nobody"
    as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    rm -rf "$dir/data"
    "${as[@]}" "$STACK_PG_BIN/initdb" -D "$dir/data" -U techempower -E UTF8 --no-locale \
      --auth-local=trust --auth-host=reject >"$STACK/logs/initdb.log" 2>&1 ||
      { cat "$STACK/logs/initdb.log" >&2; stack_die "initdb in $dir/data failed"; }
    stack_postgres_new=1
  fi
  "${as[@]}" "$STACK_PG_BIN/postgres" -D "$dir/data" -k "$dir" -c listen_addresses= \
    -c unix_socket_permissions=0700 -c dynamic_shared_memory_type=mmap \
    >>"$STACK/logs/postgres.log" 2>&1 &
  stack_postgres_pid=$!
  STACK_PG_SOCKET_DIR=$dir
  for _ in $(seq 300); do
    if "$STACK_PG_BIN/pg_isready" -q -h "$dir" 2>/dev/null; then
      [ -z "${stack_postgres_new:-}" ] && return 0
      "$STACK_PG_BIN/createdb" -h "$dir" -U techempower techempower ||
        stack_die "createdb techempower failed"
      return 0
    fi
    kill -0 "$stack_postgres_pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$STACK/logs/postgres.log" >&2
  stack_die "postgres in $dir did not come up"
}

stack_postgres_conninfo() {
  echo "host=$STACK_PG_SOCKET_DIR dbname=techempower user=techempower"
}

# Waits (10 s at most) until $1 answers 2xx; prints the logs and fails if not.
stack_wait_http() {
  local _
  for _ in $(seq 100); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$STACK/logs/error.log" "$STACK/logs/spindled.log" >&2 2>/dev/null
  stack_die "$1 did not answer"
}

# Fails unless $1 answers exactly the body $2.
stack_expect_body() {
  local body
  body=$(curl -fs "$1") || stack_die "$1 failed"
  [ "$body" = "$2" ] || stack_die "$1 answered '$body', expected '$2'"
}

# One wrk run: prints "req/s p99-ms errors" (errors: wrk's non-2xx and socket
# error lines, or "none"). $1 URL, $2 connections, $3 seconds.
stack_wrk() {
  local out rps p99 errs
  out=$(wrk -t1 -c"$2" -d"$3s" --latency "$1")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v = $2
    if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
    else if (v ~ /ms$/) { sub(/ms/, "", v) }
    else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }
    print v}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/' <<<"$out" | tr -s ' \n' ' ')
  echo "$rps $p99 ${errs:-none}"
}

# The median of the numbers on stdin, one per line.
stack_median() {
  sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

# Prints conf/spindled.yaml (the shipped config) pointed at a tree instead of
# the installed layout: sockets under $1 (the run dir), app .so files from
# $STACK_BUILD/examples, example templates from the source tree, Redis on the
# unix socket $2, PostgreSQL on the conninfo $3 (stack_postgres_conninfo).
# Without root, the sockets' `group:` (which needs it) goes.
stack_shipped_config() {
  local drop_group=()
  [ "$(id -u)" -eq 0 ] || drop_group=(-e '/^  group:/d')
  sed -e "s|^\(  path: \)/run/spindle/|\1$1/|" \
      -e "s|^\(    path: \)/usr/lib/spindle/apps/\([a-z_]*\)\.so|\1$STACK_BUILD/examples/\2/\2.so|" \
      -e "s|^\(      templates: \)/usr/share/spindle/examples/|\1$stack_root/examples/|" \
      -e "s|^\(      redis: {address: \)\"127.0.0.1:6379\"|\1\"unix:$2\"|" \
      -e "s|^\(      postgres: {conninfo: \)\"[^\"]*\"|\1\"$3\"|" \
      "${drop_group[@]}" "$stack_root/conf/spindled.yaml"
}
