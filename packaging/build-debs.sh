#!/usr/bin/env bash
# Builds the Debian packages (spindled, libspindle0, libspindle-dev,
# libnginx-mod-http-spindle) with `dpkg-buildpackage -b` from a copy of the
# tree (debian/ lives in packaging/ so the source root stays clean), then
# runs lintian on them. Output: build/deb/*.deb (or the directory given).
#   packaging/build-debs.sh [--build-deps] [OUT]
# --build-deps first installs the Build-Depends with `apt-get build-dep`
# (root), as on a fresh build machine. Works in a git checkout (copies the
# tracked files) and in an exported tree without .git (copies all but build/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_deps=0
if [ "${1:-}" = --build-deps ]; then
  build_deps=1
  shift
fi
out=${1:-$root/build/deb}
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$root/packaging/debian/changelog")
src=$out/spindle-$version
rm -rf "$out"
mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$root" ls-files -z | (cd "$root" && xargs -0 cp --parents -t "$src")
else
  tar -C "$root" --exclude=./build --exclude='./build-*' -cf - . | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -r "$root/packaging/debian" "$src/debian"
cp "$root/systemd/spindled.service" "$src/debian/spindled.service"
cp "$root/systemd/spindled.socket" "$src/debian/spindled.socket"
if [ "$build_deps" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get build-dep -y --no-install-recommends "$src"
fi
# -Jauto: debhelper builds with one job unless DEB_BUILD_OPTIONS says
# parallel=N, which -J sets (one job per core).
(cd "$src" && dpkg-buildpackage -us -uc -b -Jauto)
ls -l "$out"/*.deb
if command -v lintian >/dev/null; then
  # Errors, warnings and info tags fail the build: each one is fixed or has
  # a commented override in packaging/debian/*.lintian-overrides.
  lintian --fail-on error,warning,info --info --display-info "$out"/*.changes
else
  echo "build-debs: lintian not installed; skipped the lintian check" >&2
fi
