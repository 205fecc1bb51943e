#!/usr/bin/env bash
# sdk_build_check.sh: builds examples/sdk-app against this build installed
# into a temporary prefix (what libspindle-dev ships: headers, libspindle.so,
# the CMake package, spindle.pc), once with find_package(spindle) and once
# with pkg-config, and checks each result is a loadable app (exports
# spindle_app_init / spindle_app_abi_version and needs libspindle.so.0).
# The package install test (install_check.sh) repeats this against the real
# .deb; this one catches a broken SDK in the normal suite.
# Usage: sdk_build_check.sh <build-dir> <source-dir>
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" --component Unspecified >/dev/null
cmake -S "$src/examples/sdk-app" -B "$tmp/sdk" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/sdk" >/dev/null
libdir=$(dirname "$(find "$tmp/prefix" -name 'libspindle.so' | head -n 1)")
PKG_CONFIG_PATH=$libdir/pkgconfig
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
g++ -shared -fPIC -Wall -Wextra -o "$tmp/sdk_app_pc.so" "$src/examples/sdk-app/sdk_app.cpp" \
  $(pkg-config --cflags --libs spindle)
for so in "$tmp/sdk/sdk_app.so" "$tmp/sdk_app_pc.so"; do
  for sym in spindle_app_init spindle_app_abi_version; do
    nm -D --defined-only "$so" | grep -qw "$sym" || { echo "sdk_build_check: $so lacks $sym" >&2; exit 1; }
  done
  readelf -d "$so" | grep -q 'NEEDED.*libspindle.so.0' \
    || { echo "sdk_build_check: $so does not link libspindle.so.0" >&2; exit 1; }
done
echo "sdk_build_check: sdk-app built with find_package(spindle) and with pkg-config"
