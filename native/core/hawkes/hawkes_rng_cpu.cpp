#include "hawkes_rng_cpu.hpp"

namespace hawkgraph::hawkes {
namespace {

// Structure-of-arrays Philox4x32-10 over kBlocks consecutive counters.
__attribute__((always_inline)) inline void philox_batch(BatchRng& r) {
  // 64-bit lanes holding 32-bit words: (a & 0xffffffff) * b is the pattern compilers map to
  // pmuludq / vpmuludq, the 32 x 32 -> 64 vector multiply.
  constexpr int N = BatchRng::kBlocks;
  constexpr uint64_t kLow = 0xffffffffu;
  uint64_t c0[N], c1[N], c2[N], c3[N];
  for (int i = 0; i < N; ++i) {
    const uint64_t ctr = r.block + static_cast<uint64_t>(i);
    c0[i] = ctr & kLow;
    c1[i] = ctr >> 32;
    c2[i] = r.path_lo;
    c3[i] = r.path_hi;
  }
  uint64_t k0 = r.k0, k1 = r.k1;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < N; ++i) {
      const uint64_t p0 = (c0[i] & kLow) * uint64_t{0xD2511F53u};
      const uint64_t p1 = (c2[i] & kLow) * uint64_t{0xCD9E8D57u};
      const uint64_t n0 = ((p1 >> 32) ^ c1[i] ^ k0) & kLow;
      const uint64_t n2 = ((p0 >> 32) ^ c3[i] ^ k1) & kLow;
      c1[i] = p1 & kLow;
      c3[i] = p0 & kLow;
      c0[i] = n0;
      c2[i] = n2;
    }
    k0 = (k0 + 0x9E3779B9u) & kLow;
    k1 = (k1 + 0xBB67AE85u) & kLow;
  }
  for (int i = 0; i < N; ++i) {
    r.buf[4 * i] = static_cast<uint32_t>(c0[i]);
    r.buf[4 * i + 1] = static_cast<uint32_t>(c1[i]);
    r.buf[4 * i + 2] = static_cast<uint32_t>(c2[i]);
    r.buf[4 * i + 3] = static_cast<uint32_t>(c3[i]);
  }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
// Wider vectors where the CPU has them, chosen at load time; the baseline build stays portable.
__attribute__((target("avx512f,avx512vl,avx512bw"))) void refill_avx512(BatchRng& r) { philox_batch(r); }
__attribute__((target("avx2"))) void refill_avx2(BatchRng& r) { philox_batch(r); }
void refill_generic(BatchRng& r) { philox_batch(r); }

using RefillFn = void (*)(BatchRng&);
RefillFn pick_refill() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) return refill_avx512;
  if (__builtin_cpu_supports("avx2")) return refill_avx2;
  return refill_generic;
}
const RefillFn refill_impl = pick_refill();
#endif

}  // namespace

void batch_rng_refill(BatchRng& r) {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  refill_impl(r);
#else
  philox_batch(r);
#endif
  r.block += BatchRng::kBlocks;
  r.pos = 0;
}

}  // namespace hawkgraph::hawkes
