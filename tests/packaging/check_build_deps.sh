#!/usr/bin/env bash
# Checks that every Debian package the build took a header or library from is
# installed by scripts/deps and, for what the Debian package build builds,
# named by packaging/debian/control's Build-Depends (directly or through
# Depends/Pre-Depends). A fresh Debian 12 once failed on CLI/CLI.hpp from
# libcli11-dev, which neither list named: the CI machine had it anyway.
# Reads a finished build tree: the compiler's .o.d files, CMake's link.txt
# files, and nginx's Makefile for the module (built without .d files).
# Usage: check_build_deps.sh <build-dir> <source-dir>
# SPINDLE_DEPS_FILE / SPINDLE_CONTROL_FILE replace scripts/deps / the control
# file, to try the check against an edited copy.
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
deps_file=${SPINDLE_DEPS_FILE:-$src/scripts/deps}
control_file=${SPINDLE_CONTROL_FILE:-$src/packaging/debian/control}
deps_label="scripts/deps${SPINDLE_DEPS_FILE:+ (here $SPINDLE_DEPS_FILE)}"
control_label="packaging/debian/control${SPINDLE_CONTROL_FILE:+ (here $SPINDLE_CONTROL_FILE)}"
read -ra cxx <<<"${CXX:-c++}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

die() {
  echo "check_build_deps: $*" >&2
  exit 1
}

# --- what the build used: origin<TAB>path lines ------------------------------

# Prints FILE<TAB>prerequisite for make-style rules (target: a b \<newline> c)
# in the given dependency files.
make_deps_paths() {
  awk '
    function flush(   n, i, f) {
      gsub(/\\ /, "\001", rule)         # an escaped space belongs to the path
      sub(/^[^:]*:/, "", rule)          # drop the target
      n = split(rule, f, /[ \t]+/)
      for (i = 1; i <= n; i++)
        if (f[i] != "") { gsub(/\001/, " ", f[i]); print file "\t" f[i] }
      rule = ""
    }
    FNR == 1 && rule != "" { flush() }
    { file = FILENAME }
    /\\$/ { rule = rule substr($0, 1, length($0) - 1) " "; next }
    { rule = rule $0; flush() }
    END { if (rule != "") flush() }' "$@"
}

# Prints the path the compiler driver links for the first library file name
# it finds (libfoo.so, then libfoo.a), as `-lfoo` would.
lib_path() {
  local name found
  for name in "$@"; do
    found=$("${cxx[@]}" -print-file-name="$name")
    if [[ $found == */* ]]; then
      echo "$found"
      return
    fi
  done
  die "cannot find $1 for a -l flag in a link command"
}

# Prints the system libraries a link command (stdin) used: absolute .so/.a
# paths and -l flags. The project's own libraries are relative paths. -L is
# not consulted: CMake links found libraries by full path.
link_line_libs() {
  local -a words
  local w
  while read -ra words; do
    for w in "${words[@]}"; do
      case $w in
        -l:*) lib_path "${w#-l:}" ;;
        -l*) lib_path "lib${w#-l}.so" "lib${w#-l}.a" ;;
        /*.so | /*.so.* | /*.a) echo "$w" ;;
      esac
    done
  done
}

# Headers of every CMake-built object, from the compiler's .o.d files.
object_headers() {
  local -a files
  mapfile -d '' files < <(find "$build" -name '*.o.d' -print0 | sort -z)
  [ ${#files[@]} -gt 0 ] \
    || die "no .o.d files under $build: not a finished CMake (Makefile generator) build"
  make_deps_paths "${files[@]}" | sed "s|^$build/||"
}

# Libraries of every CMake link step, from link.txt.
link_libraries() {
  local f
  while IFS= read -r f; do
    link_line_libs <"$f" | sed "s|^|${f#"$build"/}\t|"
  done < <(find "$build" -path '*/CMakeFiles/*.dir/link.txt' | sort)
}

# The nginx module is built by nginx's own Makefile, which writes no .d files:
# take the commands `make modules` runs (make -n -B), ask the preprocessor for
# each compile's headers (-c becomes -M, the object is not touched) and read
# the link command's libraries.
nginx_module_uses() {
  local mk=$build/nginx-module/ngx/Makefile origin=nginx-module/ngx/Makefile
  local ngx_src cmd i=0
  [ -f "$mk" ] || return 0 # configured with -DSPINDLE_BUILD_NGINX_MODULE=OFF
  ngx_src=$(sed -n 's/^SPINDLE_NGX_SRC:PATH=//p' "$build/CMakeCache.txt")
  : "${ngx_src:=/usr/share/nginx/src}"
  (cd "$ngx_src" && MAKEFLAGS='' MFLAGS='' make -s -n -B -f "$mk" modules) \
    | sed -e ':a' -e '/\\$/{N;s/\\\n//;ba}' >"$tmp/ngx_cmds"
  while IFS= read -r cmd; do
    if [[ $cmd =~ [[:space:]]-c[[:space:]] ]]; then
      cmd=$(sed -E 's/[[:space:]]-c[[:space:]]/ -M /; s/[[:space:]]-o[[:space:]]+[^[:space:]]+//' <<<"$cmd")
      i=$((i + 1))
      (cd "$ngx_src" && bash -c "$cmd") >"$tmp/ngx_$i.d"
    else
      link_line_libs <<<"$cmd" | sed "s|^|$origin\t|"
    fi
  done <"$tmp/ngx_cmds"
  [ "$i" -gt 0 ] || die "no compile commands for the nginx module in $mk"
  # nginx's include paths are relative to its source tree
  make_deps_paths "$tmp"/ngx_*.d \
    | awk -F'\t' -v o="$origin" -v s="$ngx_src" \
      '{ p = $2; if (p !~ /^\//) p = s "/" p; print o "\t" p }'
}

# Keeps the system files (under /usr or /lib*, not /usr/local), normalised
# without following symlinks: dpkg knows a file by the path it installed.
# Keeps the build's order, so a package's first file is the one a source
# included (CLI/CLI.hpp rather than CLI/App.hpp).
system_files() {
  awk -F'\t' '$2 ~ /^\//' >"$tmp/abs"
  paste <(cut -f1 "$tmp/abs") \
    <(cut -f2 "$tmp/abs" | xargs -r -d '\n' realpath -s -m --) \
    | awk -F'\t' '$2 ~ /^\/(usr|lib[^\/]*)\// && $2 !~ /^\/usr\/local\//' \
    | awk '!seen[$0]++'
}

collect_uses() {
  {
    object_headers
    link_libraries
    nginx_module_uses
  } | system_files
}

# --- which package owns each file: path<TAB>pkg[,pkg] lines ------------------

# dpkg's owners of the paths on stdin, arch qualifiers dropped.
dpkg_owners() {
  local -a paths
  mapfile -t paths
  [ ${#paths[@]} -gt 0 ] || return 0
  # dpkg -S exits 1 when some path is unknown: that is an answer, not an error
  { dpkg -S "${paths[@]}" 2>/dev/null || true; } | awk '
    /^diversion by / { next }
    { i = index($0, ": "); pkgs = substr($0, 1, i - 1)
      gsub(/:[^ ,]*/, "", pkgs); gsub(/ /, "", pkgs)
      print substr($0, i + 2) "\t" pkgs }'
}

symlink_target() { readlink -f -- "$1" || echo "$1"; }

# Debian 12 merged /lib into /usr/lib, but dpkg still knows e.g. libc.so.6 as
# /lib/x86_64-linux-gnu/libc.so.6.
usrmerge_alias() {
  case $1 in
    /usr/lib* | /usr/bin/* | /usr/sbin/*) echo "${1#/usr}" ;;
    /lib* | /bin/* | /sbin/*) echo "/usr$1" ;;
    *) echo "$1" ;;
  esac
}

# Owners of the paths on stdin, asking dpkg about the path that function $1
# maps each one to.
owners_via() {
  local p
  while IFS= read -r p; do
    printf '%s\t%s\n' "$p" "$("$1" "$p")"
  done >"$tmp/cand"
  cut -f2 "$tmp/cand" | dpkg_owners >"$tmp/cand_owners"
  awk -F'\t' 'FILENAME == ARGV[1] { own[$1] = $2; next }
              $2 in own { print $1 "\t" own[$2] }' "$tmp/cand_owners" "$tmp/cand"
}

# Paths on stdin that are not the first field of a line in file $1.
not_in() { awk -F'\t' 'FILENAME == ARGV[1] { seen[$1]; next } !($1 in seen)' "$1" -; }

# Owners of the unique paths in file $1: as given, else the symlink's target,
# else the other side of the /usr merge.
find_owners() {
  dpkg_owners <"$1" >"$tmp/owned_as_given"
  not_in "$tmp/owned_as_given" <"$1" | owners_via symlink_target >"$tmp/owned_via_link"
  cat "$tmp/owned_as_given" "$tmp/owned_via_link" >"$tmp/owned_so_far"
  not_in "$tmp/owned_so_far" <"$1" | owners_via usrmerge_alias | cat "$tmp/owned_so_far" -
}

# --- the named packages and what they pull in -------------------------------

# Names in scripts/deps' pkgs=( ... ) array; comments skipped.
deps_packages() {
  awk '
    { sub(/#.*/, "") }
    !on && /^[ \t]*pkgs=\(/ { on = 1; sub(/^[^(]*\(/, "") }
    on { last = sub(/\).*/, ""); n = split($0, w)
         for (i = 1; i <= n; i++) print w[i]
         if (last) exit }' "$deps_file"
}

# Names in the source stanza's Build-Depends(-Arch/-Indep), every "|"
# alternative, without versions, arch lists, build profiles or :qualifiers.
# build-essential is implied by Debian policy.
control_packages() {
  echo build-essential
  awk '
    /^#/ { next }
    /^[ \t]*$/ { exit }
    /^[^ \t]/ { field = ($0 ~ /^Build-Depends(-Arch|-Indep)?:/); sub(/^[^:]*:/, "") }
    field { gsub(/\([^)]*\)|\[[^\]]*\]|<[^>]*>/, ""); gsub(/[|,]/, " ")
            n = split($0, w); for (i = 1; i <= n; i++) { sub(/:.*/, "", w[i]); print w[i] } }
  ' "$control_file"
}

# The packages named in file $1 plus everything installed here that they pull
# in through Pre-Depends and Depends (virtual names resolve to their installed
# providers), plus Essential packages, which every Debian system has.
# apt-cache depends --installed drops virtual names with their providers, so
# this walks dpkg's status itself. Named packages that nothing installed here
# satisfies are added to file $2 (their dependencies are unknown).
dependency_closure() {
  dpkg-query -W -f='${db:Status-Status}\t${Package}\t${Essential}\t${Provides}\t${Pre-Depends}, ${Depends}\n' \
    | awk -F'\t' -v unknown="$2" '
      function names(list, out,   n, i, w) {
        delete out
        gsub(/\([^)]*\)/, "", list); gsub(/[|,]/, " ", list)
        n = split(list, w, " ")
        for (i = 1; i <= n; i++) { sub(/:.*/, "", w[i]); out[w[i]] = 1 }
      }
      FILENAME == ARGV[1] { queue[++n] = $1; roots = n; next }
      $1 != "installed" { next }
      { who[$2] = who[$2] " " $2; deps[$2] = deps[$2] ", " $5
        if ($3 == "yes") queue[++n] = $2
        names($4, provides); for (v in provides) who[v] = who[v] " " $2 }
      END {
        for (h = 1; h <= roots; h++) if (who[queue[h]] == "") print queue[h] >>unknown
        for (h = 1; h <= n; h++) {             # n grows as the walk goes
          m = split(who[queue[h]], pkgs, " ")
          for (j = 1; j <= m; j++) {
            if (pkgs[j] in seen) continue
            seen[pkgs[j]]; print pkgs[j]
            names(deps[pkgs[j]], d); for (x in d) queue[++n] = x
          }
        }
      }' "$1" - | sort -u
}

# --- the checks ---------------------------------------------------------------

# Reports each package that owns a used file but is outside the allowed set,
# with one file and the build step that used it as the example.
# $1: "all" or "package" (skip tests/ and bench/, which the package build
# doesn't build), $2: allowed packages file, $3: which list fails to cover
# the package, $4: where to add it.
check_owners() {
  awk -F'\t' -v scope="$1" -v failed="$3" -v fix="$4" '
    FILENAME == ARGV[1] { ok[$1]; next }
    $3 == "" { next }                         # unowned: check_unowned says so
    scope == "package" && $1 ~ /^(tests|bench)\// { next }
    { n = split($3, own, ",")
      for (i = 1; i <= n; i++) if (own[i] in ok) next
      pkg = own[1]
      if (!(pkg in count)) { file[pkg] = $2; origin[pkg] = $1; order[++np] = pkg }
      if (!((pkg, $2) in counted)) { counted[pkg, $2]; count[pkg]++ } }
    END {
      for (k = 1; k <= np; k++) {
        p = order[k]
        printf "check_build_deps: %s comes from Debian package '\''%s'\'', which %s; " \
               "add '\''%s'\'' to %s\n", file[p], p, failed, p, fix
        printf "  (used by %s; %d file(s) from %s in all)\n", origin[p], count[p], p
      }
      exit (np > 0)
    }' "$2" "$tmp/owned" >&2
}

# Used files that no package owns: installed by hand, so no package list can
# cover them.
check_unowned() {
  awk -F'\t' '$3 == "" && !seen[$2]++ {
      printf "check_build_deps: %s (used by %s) is under /usr but no Debian package owns it " \
             "(installed by hand?); install it from a package and name that package\n", $2, $1
      bad = 1 }
    END { exit bad }' "$tmp/owned" >&2
}

main() {
  local rc=0
  collect_uses >"$tmp/uses"
  cut -f2 "$tmp/uses" | sort -u >"$tmp/paths"
  find_owners "$tmp/paths" >"$tmp/owners"
  # origin<TAB>path<TAB>owners ("" when unowned)
  awk -F'\t' 'FILENAME == ARGV[1] { own[$1] = $2; next } { print $0 "\t" own[$2] }' \
    "$tmp/owners" "$tmp/uses" >"$tmp/owned"
  cut -f3 "$tmp/owned" | tr ',' '\n' | grep -v '^$' | sort -u >"$tmp/packages" || true
  [ -s "$tmp/packages" ] || die "no Debian package owns any file the build used; nothing was checked"

  deps_packages >"$tmp/deps_named"
  [ -s "$tmp/deps_named" ] || die "no package names in the pkgs=( ) array of $deps_file"
  control_packages >"$tmp/control_named"
  dependency_closure "$tmp/deps_named" "$tmp/unknown" >"$tmp/deps_allowed"
  dependency_closure "$tmp/control_named" "$tmp/unknown" >"$tmp/control_allowed"

  check_unowned || rc=1
  check_owners all "$tmp/deps_allowed" \
    "$deps_label does not install (directly or through dependencies)" \
    "$deps_label" || rc=1
  check_owners package "$tmp/control_allowed" \
    "Build-Depends in $control_label does not name (directly or through dependencies; build-essential is implied)" \
    "Build-Depends in $control_label" || rc=1
  [ "$rc" -eq 0 ] || exit 1

  echo "check_build_deps: ok: $(wc -l <"$tmp/paths") system files from" \
    "$(wc -l <"$tmp/packages") Debian packages, all covered by $deps_label" \
    "and (package build) Build-Depends in $control_label:"
  fmt -w 78 <"$tmp/packages" | sed 's/^/  /'
  # only a note: a package that isn't installed can't have supplied a file
  [ ! -s "$tmp/unknown" ] \
    || echo "note: named but not installed here: $(sort -u "$tmp/unknown" | xargs)"
}

main
