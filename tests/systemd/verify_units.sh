#!/usr/bin/env bash
# Checks systemd/spindled.{service,socket} with `systemd-analyze verify`, which
# exits 0 even on warnings, so any output on stderr fails the test. The units
# are copied with ExecStart pointing at the built spindled, since verify needs
# the binary to exist. Also requires the hardening exposure to stay "OK".
# Usage: verify_units.sh <source-dir> <spindled-binary>
set -euo pipefail
src=$1
bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/systemd/spindled.service" "$src/systemd/spindled.socket" "$tmp/"
sed -i "s#/usr/sbin/spindled#$bin#g" "$tmp/spindled.service"
cd "$tmp"
if ! systemd-analyze verify --man=no ./spindled.socket ./spindled.service 2>"$tmp/verify.err"; then
  cat "$tmp/verify.err" >&2
  echo "verify_units: systemd-analyze verify failed" >&2
  exit 1
fi
if [ -s "$tmp/verify.err" ]; then
  cat "$tmp/verify.err" >&2
  echo "verify_units: systemd-analyze verify printed warnings" >&2
  exit 1
fi
level=$(systemd-analyze security --offline=yes ./spindled.service 2>&1 \
        | sed -n 's/.*Overall exposure level for spindled.service: \([0-9.]*\).*/\1/p')
echo "exposure level: $level"
awk -v l="$level" 'BEGIN { exit !(l != "" && l + 0 <= 2.0) }' || {
  echo "verify_units: exposure level '$level' above 2.0" >&2
  exit 1
}
