// The vector exact simulator (hawkes_simulate_lanes.inl) on AVX-512 F and DQ: eight paths at once.
// Compiled with -mavx512f -mavx512dq -ffp-contract=off (CMakeLists.txt, binding.gyp); without those
// flags it builds as a stub that lane_simulator() never offers.
#include "hawkes_simulate_paths.hpp"

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 headers start some intrinsics from a self-initialised "undefined" vector.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <memory>

namespace hawkgraph::hawkes {
namespace {
#include "hawkes_lanes_avx512.inl"
#include "hawkes_simulate_lanes.inl"
}  // namespace

bool avx512_simulator_built() { return true; }

bool simulate_block_avx512(const BlockRun& run, EventArena& arena, int64_t first, int64_t end, double* rows) {
  return simulate_block_lanes(run, arena, first, end, rows);
}

}  // namespace hawkgraph::hawkes

#else

namespace hawkgraph::hawkes {
bool avx512_simulator_built() { return false; }
bool simulate_block_avx512(const BlockRun&, EventArena&, int64_t, int64_t, double*) { return false; }
}  // namespace hawkgraph::hawkes

#endif
