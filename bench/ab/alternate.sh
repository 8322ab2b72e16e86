#!/usr/bin/env bash
# Before/after in one run: two checkouts (each built, with its own build/Release/hawkgraph.node and
# dist/), benchmarked alternately so drift on a shared machine falls on both.
#   bench/ab/alternate.sh BEFORE_DIR AFTER_DIR OUT_DIR [ROUNDS] [bench/run.js arguments...]
#   node bench/ab/compare.js OUT_DIR      # one markdown table: medians, after/before
# STEAL_GATE=N (Linux): before each run, wait (up to a minute) for a 5 s stretch with at most N
# ticks of steal time (/proc/stat), and write each run's steal ticks beside its output, since on a
# shared VM a tail latency is worth comparing only from runs the host left alone.
set -euo pipefail
before=$(realpath "$1") after=$(realpath "$2") out=$3 rounds=${4:-3}
shift 4 || shift $#
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--quick --suite gnn-cpu,hawkes,backtest)
mkdir -p "$out"
steal() { awk 'NR == 1 { print $9 }' /proc/stat; }
for round in $(seq 1 "$rounds"); do
  for side in before after; do
    dir=$before; [ $side = after ] && dir=$after
    if [ -n "${STEAL_GATE:-}" ]; then
      for _ in $(seq 12); do
        a=$(steal); sleep 5; [ $(($(steal) - a)) -le "$STEAL_GATE" ] && break
      done
      a=$(steal)
    fi
    (cd "$dir" && HAWKGRAPH_NATIVE=$dir/build/Release/hawkgraph.node node bench/run.js "${args[@]}" --no-write) > "$out/$side-$round.txt" 2>&1
    [ -z "${STEAL_GATE:-}" ] || echo "steal ticks during the run: $(($(steal) - a))" >> "$out/$side-$round.txt"
  done
done
