// The AVX2 + FMA kernel table (256-bit vectors; F16C widens fp16 weights). This file alone is
// compiled with -mavx2 -mfma -mf16c; nothing in it runs unless cpuid reports all three.
#include "kernels.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>

#include <chrono>
#include <cmath>

#include "../../core/cpu_features.hpp"

namespace hawkgraph::cpu {
namespace {

constexpr int kVec = 8;
constexpr int kRowTile = 6;  // 12 accumulators + 2 weights + 1 broadcast of 16 ymm registers

typedef float vf8 __attribute__((vector_size(32)));
inline vf8 load_f16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

#include "kernels_body.inl"

double peak(double seconds, bool bf16) { return bf16 ? 0.0 : peak_fp32_gflops(seconds); }

const CpuKernels kTable = {"avx2", kPanel, false, false, dense_generic, mean_aggregate, weighted_column_sum,
                           attention_key_weights, attention_rows, peak, fold_product};

}  // namespace

const CpuKernels* avx2_kernels() {
  const CpuFeatures& f = cpu_features();
  return f.avx2 && f.fma && f.f16c ? &kTable : nullptr;
}

}  // namespace hawkgraph::cpu
#else
namespace hawkgraph::cpu {
const CpuKernels* avx2_kernels() { return nullptr; }
}  // namespace hawkgraph::cpu
#endif
