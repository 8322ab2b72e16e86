#!/usr/bin/env bash
# Everything worth doing in one call on a lent GPU machine (see ../shared/tools/gpu.md): the whole test
# suite (the CUDA suites run there), the GPU benchmark rows, and compute-sanitizer over a small CUDA
# workload. Run from the repo root through the packed runtime, writing into a results folder:
#   bash .gpu/run.sh bash scripts/gpu/session.sh "$OUT"
# Each step has its own time limit and log; a failing step does not stop the next. The lines printed
# are the summaries; the logs hold the rest. gnn-cuda's rows also land in $OUT/BENCHMARKS.gpu.md.
set -uo pipefail
out=${1:?usage: session.sh OUTPUT_DIR}
mkdir -p "$out"
step() {  # step NAME SECONDS COMMAND...: runs COMMAND into $out/NAME.txt, prints its exit status
  local name=$1 limit=$2
  shift 2
  timeout "$limit" "$@" > "$out/$name.txt" 2>&1
  echo "$name: exit $?"
}

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv | tee "$out/gpu.txt"
step tests 240 vitest run
grep -E "×|FAIL|Test Files|Tests " "$out/tests.txt" | head -30
step bench-gnn-cuda 200 node bench/run.js --suite gnn-cuda --update-docs --no-write
cp BENCHMARKS.md "$out/BENCHMARKS.gpu.md"
step bench-gnn-cuda-host 60 node bench/run.js --suite gnn-cuda-host --quick --no-write
step bench-hawkes-cuda 120 node bench/run.js --suite hawkes --backend cuda --no-write
step bench-backtest-cuda 150 node bench/run.js --suite backtest --backend cuda --no-write
grep -hE "^\| (gnn-cuda|hawkes|backtest) " "$out"/bench-*.txt | cut -c1-200
step memcheck 150 compute-sanitizer --tool memcheck --leak-check no node scripts/gpu/sanitize-workload.js
step racecheck 90 compute-sanitizer --tool racecheck node scripts/gpu/sanitize-workload.js small
step synccheck 90 compute-sanitizer --tool synccheck node scripts/gpu/sanitize-workload.js small
step memcheck-backtest 150 compute-sanitizer --tool memcheck --leak-check no --target-processes all \
  node node_modules/vitest/vitest.mjs run test/cuda/backtest.test.ts
grep -hE "ERROR SUMMARY|RACECHECK SUMMARY" "$out"/memcheck*.txt "$out"/racecheck.txt "$out"/synccheck.txt
