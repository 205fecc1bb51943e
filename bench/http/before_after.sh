#!/usr/bin/env bash
# bench/http/before_after.sh: the request-path benchmark of two builds in one
# run, for "no slower than before" claims. Runs bench/http/compare.sh with
# each build in turn, ROUNDS times, interleaved (A B A B ...), so both see the
# same machine; each round gives the build's Spindle req/s and its ratio to
# nginx's own `return 200` measured in the same round. Reports the medians
# per build and B's median ratio over A's.
#
# Usage: bench/http/before_after.sh BUILD_A BUILD_B
#        (env: ROUNDS=5, and compare.sh's RUNS (default 1 here), DURATION,
#         CONNS, WORKERS). Each build dir needs spindled, the nginx module,
#         examples/hello and bench/http/fcgi_hello built.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 2 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
rounds=${ROUNDS:-5}
export RUNS=${RUNS:-1}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for r in $(seq 1 "$rounds"); do
  for side in A B; do
    dir=$a
    [ "$side" = B ] && dir=$b
    SPINDLE_BUILD_DIR=$dir STACK_BUILD=$dir "$root/bench/http/compare.sh" >"$out/run" 2>&1 ||
      { cat "$out/run" >&2; exit 1; }
    hello=$(awk '$1 == "hello" && NF == 3 {print $2}' "$out/run")
    direct=$(awk '$1 == "direct" && NF == 3 {print $2}' "$out/run")
    ratio=$(awk -v h="$hello" -v d="$direct" 'BEGIN {printf "%.4f", h / d}')
    echo "round $r $side: spindle $hello req/s, spindle / nginx-direct $ratio"
    echo "$side $hello $ratio" >>"$out/results"
  done
done

. "$root/scripts/lib/stack.sh"
echo
printf '%-6s %12s %22s\n' build "req/s" "spindle / nginx-direct"
for side in A B; do
  rps=$(awk -v s=$side '$1 == s {print $2}' "$out/results" | stack_median)
  ratio=$(awk -v s=$side '$1 == s {print $3}' "$out/results" | stack_median)
  printf '%-6s %12.0f %22.3f\n' "$side" "$rps" "$ratio"
  echo "$side $ratio" >>"$out/medians"
done
awk '{m[$1] = $2} END {printf "B / A (median ratios) = %.3f\n", m["B"] / m["A"]}' "$out/medians"
echo "(A = $a, B = $b; $rounds rounds, interleaved; compare.sh RUNS=$RUNS each)"
