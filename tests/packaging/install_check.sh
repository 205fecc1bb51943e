#!/usr/bin/env bash
# install_check.sh: the package install test, run as root inside a fresh
# Debian 12 root by scripts/fresh-check (never on a developer's machine: it
# installs and purges packages and starts nginx). Phases:
#   install  DEBDIR   apt-get install the four .debs and nginx (the README's
#                     apt path), then the tools the check itself needs
#   run      CHECKDIR everything that needs no network (fresh-check runs it
#                     in a private network namespace, so ports are private):
#                     files, user, `nginx -t`, the SDK app built against the
#                     installed libspindle-dev, the daemon started the way its
#                     unit starts it (as `spindle`, under the unit's syscall
#                     filter, on sockets made as spindled.socket makes them),
#                     requests through the packaged nginx; leaves them running
#   purge             apt-get purge while the daemon runs; checks that the
#                     packages' files and processes are gone
# CHECKDIR holds this script, unit_exec.c and examples/sdk-app.
set -euo pipefail

phase=${1:?usage: install_check.sh install DEBDIR | run CHECKDIR | purge}
state=/var/tmp/install-check
packages=(spindled libspindle0 libnginx-mod-http-spindle libspindle-dev)
service=/lib/systemd/system/spindled.service
socket=/lib/systemd/system/spindled.socket

fail() { echo "install_check: FAIL: $*" >&2; exit 1; }
step() { echo "install_check: $*"; }

# --- reading the installed units -------------------------------------------

# Every value of KEY= in a unit file, one per line, in order.
unit_values() { sed -n "s/^$2=//p" "$1"; }
unit_value() { unit_values "$1" "$2" | tail -n 1; }

# The system calls of one SystemCallFilter= word (@set or name), expanded
# recursively with systemd's own table.
expand_syscalls() {
  local word=$1 entry
  if [ "${word#@}" = "$word" ]; then
    echo "$word"
    return
  fi
  systemd-analyze syscall-filter "$word" | tail -n +2 | sed 's/^ *//' \
    | grep -v -e '^#' -e '^$' | while read -r entry; do expand_syscalls "$entry"; done
}

# The allow list the unit's SystemCallFilter= lines add up to: the first
# line allows, each later `~` line takes its sets away again.
unit_syscall_list() {
  local line word allowed
  allowed=$(mktemp)
  while read -r line; do
    if [ "${line#\~}" != "$line" ]; then
      for word in ${line#\~}; do expand_syscalls "$word"; done | sort -u > "$allowed.deny"
      sort -u "$allowed" | comm -23 - "$allowed.deny" > "$allowed.tmp"
      mv "$allowed.tmp" "$allowed"
    else
      for word in $line; do expand_syscalls "$word"; done >> "$allowed"
    fi
  done < <(unit_values "$service" SystemCallFilter)
  sort -u "$allowed"
  rm -f "$allowed" "$allowed.deny"
}

# A maintainer script that printed an error (dpkg names the script) fails
# the check even when dpkg carried on.
maintainer_scripts_quiet() {
  if grep -E '/var/lib/dpkg/info/(spindled|libspindle|libnginx-mod-http-spindle)[^ ]*\.(pre|post)(inst|rm)' "$1"; then
    fail "a maintainer script printed an error (above)"
  fi
}

# --- phases -------------------------------------------------------------------

phase_install() {
  local debs=$1
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  step "apt-get install ./spindled ./libspindle0 ./libnginx-mod-http-spindle ./libspindle-dev nginx"
  mkdir -p "$state"
  apt-get install -y "$debs"/spindled_*.deb "$debs"/libspindle0_*.deb \
    "$debs"/libnginx-mod-http-spindle_*.deb "$debs"/libspindle-dev_*.deb nginx 2>&1 \
    | tee "$state/install.log"
  maintainer_scripts_quiet "$state/install.log"
  for p in "${packages[@]}"; do dpkg -L "$p" > "$state/$p.list"; done
  # What this check needs beyond the packages: a compiler and CMake for the
  # SDK app (as its README says), systemd-analyze for the unit's syscall
  # sets, libseccomp for unit_exec, curl for requests.
  apt-get install -y --no-install-recommends cmake g++ make pkg-config curl \
    libseccomp-dev systemd procps
}

check_files() {
  getent passwd spindle >/dev/null || fail "no 'spindle' system user"
  [ "$(getent passwd spindle | cut -d: -f7)" = /usr/sbin/nologin ] \
    || fail "the spindle user has a login shell"
  local f
  for f in "$service" "$socket" /etc/spindle/spindled.yaml /usr/sbin/spindled \
           /usr/lib/sysctl.d/60-spindled.conf /usr/share/spindle/nginx-spindle.conf \
           /usr/lib/nginx/modules/ngx_http_spindle_module.so \
           /etc/nginx/modules-enabled/50-mod-http-spindle.conf \
           /usr/include/spindle/app.hpp /usr/lib/x86_64-linux-gnu/pkgconfig/spindle.pc \
           /usr/lib/x86_64-linux-gnu/cmake/spindle/spindleConfig.cmake \
           /usr/share/man/man8/spindled.8.gz; do
    [ -e "$f" ] || fail "missing $f"
  done
  step "files, units, config, module snippet, headers and the spindle user are in place"
  systemd-analyze verify --man=no "$socket" "$service" 2> "$state/verify.err" \
    || { cat "$state/verify.err"; fail "systemd-analyze verify"; }
}

build_sdk_app() {
  local src=$1/sdk-app
  step "building examples/sdk-app against the installed libspindle-dev"
  cmake -S "$src" -B "$state/sdk-build" -DCMAKE_INSTALL_PREFIX=/usr/local >/dev/null
  cmake --build "$state/sdk-build"
  cmake --install "$state/sdk-build" >/dev/null
  [ -f /usr/local/lib/spindle/apps/sdk_app.so ] || fail "sdk_app.so not installed"
  # The same app through pkg-config, as a Makefile user would build it.
  local flags
  flags=$(pkg-config --cflags --libs spindle) || fail "pkg-config knows no 'spindle'"
  # shellcheck disable=SC2086
  g++ -shared -fPIC -o "$state/sdk_app_pc.so" "$src/sdk_app.cpp" $flags \
    || fail "pkg-config build of sdk_app"
  cat >> /etc/spindle/spindled.yaml <<'YAML'
  - name: sdk
    path: /usr/local/lib/spindle/apps/sdk_app.so
    mount: /sdk
    config:
      greeting: Greetings
YAML
}

# ExecStartPre= and ExecStart= of the unit, as its User=, under its filter.
start_daemon() {
  local checkdir=$1 user umask nofile backlog spec listens=() cmd
  gcc -O2 -Wall -Wextra -o "$state/unit_exec" "$checkdir/unit_exec.c" -lseccomp
  unit_syscall_list > "$state/syscalls"
  step "unit syscall filter: $(wc -l < "$state/syscalls") system calls allowed," \
       "chown allowed: $(grep -cx chown "$state/syscalls" || true)"
  [ "$(unit_value "$service" SystemCallErrorNumber)" = EPERM ] || fail "errno not EPERM"
  [ "$(unit_value "$service" NoNewPrivileges)" = yes ] || fail "NoNewPrivileges"
  user=$(unit_value "$service" User)
  umask=$(unit_value "$service" UMask)
  nofile=$(unit_value "$service" LimitNOFILE)
  backlog=$(unit_value "$socket" Backlog)
  # The socket unit's directory, then RuntimeDirectory= (owned by User=).
  mkdir -p -m "$(unit_value "$socket" DirectoryMode)" /run/spindle
  chown "$user:$(unit_value "$service" Group)" /run/spindle
  chmod "$(unit_value "$service" RuntimeDirectoryMode)" /run/spindle
  for spec in $(unit_values "$socket" ListenStream); do
    listens+=(--listen "$spec:$(unit_value "$socket" SocketUser):$(unit_value "$socket" SocketGroup):$(unit_value "$socket" SocketMode)")
  done
  local sandbox=(--user "$user" --umask "$umask" --nofile "$nofile" --errno EPERM
                 --syscalls "$state/syscalls")
  # A negative control: the filter really refuses what the unit forbids.
  if env -i "$state/unit_exec" "${sandbox[@]}" -- /bin/chown "$user" /run/spindle \
       > "$state/control.log" 2>&1; then
    fail "chown succeeded under the unit's filter"
  fi
  grep -q "Operation not permitted" "$state/control.log" \
    || { cat "$state/control.log"; fail "chown failed for another reason"; }
  step "control: chown under the filter fails with EPERM, as the unit intends"

  cmd=$(unit_value "$service" ExecStartPre)
  step "ExecStartPre: $cmd"
  # shellcheck disable=SC2086
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$state/unit_exec" "${sandbox[@]}" -- $cmd \
    || fail "ExecStartPre failed under the unit's sandbox"
  cmd=$(unit_value "$service" ExecStart)
  step "ExecStart: $cmd (sockets: ${listens[*]})"
  # shellcheck disable=SC2086
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin setsid "$state/unit_exec" "${listens[@]}" \
    --backlog "$backlog" --notify /run/unit_exec.notify "${sandbox[@]}" -- $cmd \
    > "$state/daemon.log" 2>&1 &
  echo $! > "$state/unit_exec.pid"
  for _ in $(seq 1 300); do
    grep -q "notify main 'READY=1'" "$state/daemon.log" && break
    grep -q "main process exited" "$state/daemon.log" && break
    sleep 0.1
  done
  grep -q "notify main 'READY=1'" "$state/daemon.log" \
    || { cat "$state/daemon.log"; fail "the daemon did not report READY=1"; }
  grep -q "OTHER-PID" "$state/daemon.log" && fail "a process other than the main pid notified"
  grep -q "listening on 'unix:/run/spindle/spindled.sock' (from systemd)" "$state/daemon.log" \
    || { cat "$state/daemon.log"; fail "the request socket did not come from the socket unit"; }
  grep -q "admin listener on 'unix:/run/spindle/admin.sock' (from systemd)" "$state/daemon.log" \
    || { cat "$state/daemon.log"; fail "the admin socket did not come from the socket unit"; }
  ps -o user=,pid=,args= -C spindled | tee "$state/ps.txt"
  awk '$1 != "spindle" { bad = 1 } END { exit bad || NR == 0 }' "$state/ps.txt" \
    || fail "spindled is not running (only) as user spindle"
  step "the daemon started as its unit starts it and said READY=1"
}

# GET through nginx on 127.0.0.1:PORT; the body must contain WANT.
expect_get() {
  local url=$1 want=$2 body
  body=$(curl -sS --max-time 10 -w '\n%{http_code}' "$url") || fail "GET $url"
  [ "$(tail -n 1 <<< "$body")" = 200 ] || fail "GET $url: $(tail -n 1 <<< "$body")"
  grep -qF -- "$want" <<< "$body" || fail "GET $url: body '$body' lacks '$want'"
  step "GET $url -> 200 '$(head -n 1 <<< "$body")'"
}

serve_through_nginx() {
  cp /usr/share/spindle/nginx-spindle.conf /etc/nginx/conf.d/spindle.conf
  # The admin socket through nginx, as docs/observability.md shows.
  cat > /etc/nginx/conf.d/spindle-admin.conf <<'NGINX'
server {
    listen 127.0.0.1:8081;
    location = /status.txt { spindle_pass unix:/run/spindle/admin.sock; }
    location = /metrics { spindle_pass unix:/run/spindle/admin.sock; }
}
NGINX
  nginx -t 2>&1 | tail -n 2
  nginx
  expect_get http://127.0.0.1:8080/hello "Hello, World!"
  expect_get http://127.0.0.1:8080/sdk/greet/debian "Greetings, debian!"
  expect_get "http://127.0.0.1:8080/sdk/wait?ms=50" "waited 50 ms"
  expect_get http://127.0.0.1:8081/metrics "spindle_requests_total"
}

phase_run() {
  local checkdir=$1
  mkdir -p "$state"
  check_files
  nginx -t 2>&1 | tail -n 2
  step "nginx -t passes with the packaged module loaded"
  build_sdk_app "$checkdir"
  start_daemon "$checkdir"
  serve_through_nginx
}

phase_purge() {
  local p f left=0
  pgrep -x spindled >/dev/null || fail "spindled is not running before the purge"
  step "apt-get purge ${packages[*]} (the daemon still runs)"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y "${packages[@]}" 2>&1 | tee "$state/purge.log"
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed \
      && fail "$p is still installed"
    while read -r f; do
      if [ -e "$f" ] && [ ! -d "$f" ]; then
        echo "install_check: left behind: $f" >&2
        left=1
      fi
    done < "$state/$p.list"
  done
  [ "$left" = 0 ] || fail "files of the purged packages remain"
  for f in /etc/spindle /etc/nginx/modules-enabled/50-mod-http-spindle.conf \
           /var/log/spindle /run/spindle; do
    [ ! -e "$f" ] || fail "$f remains after purge"
  done
  for _ in $(seq 1 50); do pgrep -x spindled >/dev/null || break; sleep 0.1; done
  if pgrep -a -x spindled; then fail "spindled still runs after purge"; fi
  grep -q "main process exited, status 0" "$state/daemon.log" \
    || { tail -n 20 "$state/daemon.log"; fail "the daemon did not stop cleanly"; }
  maintainer_scripts_quiet "$state/purge.log"
  step "purge removed every packaged file and stopped the daemon (exit status 0)"
  # nginx stays installed (not ours); its config still names spindle_pass,
  # so stop it by pid rather than with `nginx -s`, which parses the config.
  rm -f /etc/nginx/conf.d/spindle.conf /etc/nginx/conf.d/spindle-admin.conf
  kill -QUIT "$(cat /run/nginx.pid)" 2>/dev/null || true
  nginx -t 2>&1 | tail -n 1
}

case $phase in
  install) phase_install "${2:?DEBDIR}" ;;
  run) phase_run "${2:?CHECKDIR}" ;;
  purge) phase_purge ;;
  *) fail "unknown phase '$phase'" ;;
esac
