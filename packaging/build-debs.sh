#!/usr/bin/env bash
# Builds the spindled, libnginx-mod-http-spindle and libspindle-dev Debian
# packages with dpkg-buildpackage from a copy of the committed tree (debian/
# lives in packaging/ so the source root stays clean). Output: build/deb/*.deb
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/deb}
version=$(sed -n '1s/.*(\(.*\)-.*).*/\1/p' "$root/packaging/debian/changelog")
src=$out/spindle-$version
rm -rf "$out"
mkdir -p "$src"
git -C "$root" ls-files -z | (cd "$root" && xargs -0 cp --parents -t "$src")
cp -r "$root/packaging/debian" "$src/debian"
cp "$root/systemd/spindled.service" "$src/debian/spindled.service"
cp "$root/systemd/spindled.socket" "$src/debian/spindled.socket"
(cd "$src" && dpkg-buildpackage -us -uc -b)
ls -l "$out"/*.deb
