#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) into fuzz/build/ and runs each for a while,
# one summary line per harness; exits non-zero on any crash, sanitizer report, leak, timeout or
# out-of-memory. Links core sources only (native/core, no Node headers, no backend).
#
#   fuzz/run.sh                       every harness for $FUZZ_SECONDS (default 25) seconds
#   fuzz/run.sh 3600 model_loader     one harness for an hour
#   fuzz/run.sh --build               build (and write the seeds), run nothing
#
# Environment: FUZZ_SECONDS, CXX (default clang++), FUZZ_CORPUS (where the growing corpora live,
# default fuzz/build/corpus), FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=4 -workers=4").
# See fuzz/README.md for the long run, reproducing a crash and minimising it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fuzz=$root/fuzz
build=$fuzz/build

# What each harness links: core files only, never native/backends, native/cuda or the engine
# (gnn_engine.cpp pulls in the backends). backtest.cpp needs the Hawkes model and its RNG.
declare -A sources=(
  [json_reader]="native/core/error.cpp native/core/json.cpp"
  [model_loader]="native/core/error.cpp native/core/json.cpp native/core/safetensors.cpp native/core/gnn_model.cpp
                  native/core/book.cpp native/core/features.cpp"
  [policy_loader]="native/core/error.cpp native/core/json.cpp native/core/safetensors.cpp native/core/backtest/backtest.cpp
                   native/core/hawkes/hawkes_model.cpp native/core/hawkes/hawkes_rng_cpu.cpp"
)
declare -A dicts=([json_reader]=json.dict [model_loader]=safetensors.dict [policy_loader]=policy.dict)
# Inputs stay short: the branches are in the headers and small models already reach every one of
# them. The shipped 278 KB models are read truncated to this (their headers are 2 KB); letting
# inputs grow to their size makes each execution ~20x slower for no new coverage.
declare -A max_len=([json_reader]=16384 [model_loader]=16384 [policy_loader]=65536)
all=(json_reader model_loader policy_loader)

build_only=0
seconds=${FUZZ_SECONDS:-25}
if [[ ${1:-} == --build ]]; then
  build_only=1
  shift
elif [[ ${1:-} =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ -n ${sources[$t]:-} ]] || { echo "fuzz: unknown harness '$t' (have: ${all[*]})" >&2; exit 2; }
done

CXX=${CXX:-clang++}
command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found (Debian: apt-get install clang libclang-rt-dev)" >&2; exit 2; }
mkdir -p "$build/obj" "$build/bin" "$build/logs"
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
    "$CXX" -x c++ -fsanitize=fuzzer,address,undefined -o "$build/bin/.probe" - 2>"$build/logs/probe.log"; then
  echo "fuzz: $CXX cannot link -fsanitize=fuzzer,address,undefined (Debian: apt-get install libclang-rt-dev):" >&2
  cat "$build/logs/probe.log" >&2
  exit 2
fi

# A moved or renamed core file must fail here, by name, not as a link error; one the package no
# longer builds is worth a look.
for f in $(printf '%s\n' "${sources[@]}" | tr ' ' '\n' | sort -u); do
  case $f in native/core/*) ;; *) echo "fuzz: $f is not a core file" >&2; exit 2 ;; esac
  [[ -f $f ]] || { echo "fuzz: $f does not exist; update the sources in fuzz/run.sh" >&2; exit 2; }
  grep -q "${f#native/core/}\"" native/sources.json || echo "fuzz: warning: $f is not in native/sources.json" >&2
done

flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -D_GLIBCXX_ASSERTIONS -Inative/core
       -fsanitize=address,undefined -fno-sanitize-recover=undefined)

# One object per source, shared by the harnesses; rebuilt when it or a header it includes changed.
stale() {
  local obj=$1 dep=${1%.o}.d
  [[ -f $obj && -f $dep ]] || return 0
  local f
  for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
    [[ $f -nt $obj ]] && return 0
  done
  return 1
}
jobs_file=$build/logs/compile.list
: >"$jobs_file"
units=$(printf '%s\n' "${sources[@]}" | tr ' ' '\n' | grep . | sort -u; for t in "${targets[@]}"; do echo "fuzz/harness/$t.cpp"; done)
for src in $units; do
  obj=$build/obj/${src//\//_}.o
  stale "$obj" && echo "$src $obj" >>"$jobs_file"
done
if [[ -s $jobs_file ]]; then
  echo "fuzz: compiling $(wc -l <"$jobs_file") sources with $CXX"
  export CXX
  export FLAGS="${flags[*]} -fsanitize=fuzzer-no-link"
  # shellcheck disable=SC2016
  xargs -P "$(nproc)" -L 1 sh -c '$CXX $FLAGS -MMD -c "$0" -o "$1" || { echo "fuzz: compiling $0 failed" >&2; exit 255; }' <"$jobs_file"
fi
for t in "${targets[@]}"; do
  objs=()
  for src in ${sources[$t]} "fuzz/harness/$t.cpp"; do objs+=("$build/obj/${src//\//_}.o"); done
  "$CXX" "${flags[@]}" -fsanitize=fuzzer "${objs[@]}" -lpthread -o "$build/bin/$t"
done
node "$fuzz/seeds/make-seeds.mjs" "$build/seeds"
[[ $build_only == 1 ]] && { echo "fuzz: built ${targets[*]} in $build/bin"; exit 0; }

corpus_root=${FUZZ_CORPUS:-$build/corpus}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in "${targets[@]}"; do
  corpus=$corpus_root/$t
  artifacts=$build/artifacts/$t
  log=$build/logs/$t.log
  mkdir -p "$corpus" "$artifacts"
  rc=0
  started=$SECONDS
  # shellcheck disable=SC2086
  "$build/bin/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -max_len="${max_len[$t]}" -dict="$fuzz/dict/${dicts[$t]}" -artifact_prefix="$artifacts/" \
    ${FUZZ_ARGS:-} "$corpus" "$build/seeds/$t" >"$log" 2>&1 || rc=$?
  elapsed=$((SECONDS - started))
  execs=$(grep -ho 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{ n += $2 } END { print n + 0 }')
  units=$(find "$corpus" -type f | wc -l)
  if [[ $rc == 0 ]]; then
    result=ok
  else
    failed=1
    artifact=$(grep -ho 'Test unit written to [^ ]*' "$log" | tail -1 | sed 's/Test unit written to //')
    what=$(grep -hoE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [^ ]+|runtime error: .*|invariant broken: .*|terminate called .*' "$log" | head -1)
    result="FAILED (rc $rc): ${what:-see log}; input ${artifact:-none}; log $log"
  fi
  echo "fuzz $t: $execs executions in $elapsed s, corpus $units, $result"
done
exit $failed
