#!/usr/bin/env bash
# Before/after in one run: two checkouts (each built, with its own build/Release/hawkgraph.node and
# dist/), benchmarked alternately so drift on a shared machine falls on both.
#   bench/ab/alternate.sh BEFORE_DIR AFTER_DIR OUT_DIR [ROUNDS] [bench/run.js arguments...]
#   node bench/ab/compare.js OUT_DIR      # one markdown table: medians, after/before
set -euo pipefail
before=$(realpath "$1") after=$(realpath "$2") out=$3 rounds=${4:-3}
shift 4 || shift $#
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--quick --suite gnn-cpu,hawkes,backtest)
mkdir -p "$out"
for round in $(seq 1 "$rounds"); do
  for side in before after; do
    dir=$before; [ $side = after ] && dir=$after
    (cd "$dir" && HAWKGRAPH_NATIVE=$dir/build/Release/hawkgraph.node node bench/run.js "${args[@]}" --no-write) > "$out/$side-$round.txt" 2>&1
  done
done
