#!/usr/bin/env bash
# Runs Debian's nginx configure (the packaged binary's flags, --with-compat)
# for our dynamic module, out of tree: /usr/share/nginx/src stays read-only.
# Usage: ngx_configure.sh <nginx src dir> <build dir> <module dir>
set -euo pipefail
src=$1 bld=$2 mod=$3
cd "$src"
. ./conf_flags
cflags="$(dpkg-buildflags --get CFLAGS) -fPIC $(dpkg-buildflags --get CPPFLAGS)"
ldflags="$(dpkg-buildflags --get LDFLAGS) -fPIC"
mkdir -p "$bld"
./configure "${NGX_CONF_FLAGS[@]}" \
    --with-cc-opt="$cflags" --with-ld-opt="$ldflags" \
    --add-dynamic-module="$mod" --builddir="$bld" >"$bld.configure.log" 2>&1 \
  || { cat "$bld.configure.log" >&2; exit 1; }
