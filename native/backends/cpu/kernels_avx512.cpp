// The AVX-512 kernel tables (512-bit vectors): plain, with AVX-512 BF16 dot products for bf16
// weights (where they beat FMAs), and "amx", which sends the large layers to AMX tiles
// (kernels_amx.cpp). This file alone is compiled with -mavx512f -mavx512bw -mavx512vl -mavx512bf16
// (plus AVX2/FMA/F16C); the BF16 instructions sit only in dense_bf16_dot, reached through the
// table that cpuid selects when the CPU reports avx512_bf16.
#include "kernels.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__AVX512F__) && defined(__AVX512BW__) && \
    defined(__AVX512VL__) && defined(__AVX512BF16__)
// GCC 12's AVX-512 intrinsic headers seed results with self-initialised _mm512_undefined_*().
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cpuid.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include "../../core/cpu_features.hpp"

namespace hawkgraph::cpu {
namespace {

constexpr int kVec = 16;
constexpr int kRowTile = 10;  // 20 accumulators of 32 zmm; 40 nodes (20 levels) = 4 full tiles

typedef float vf16 __attribute__((vector_size(64)));
inline vf16 load_f16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

#include "kernels_body.inl"

uint32_t bf16_pair(float lo, float hi) {
  auto round = [](float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  };
  return round(lo) | (round(hi) << 16);
}

// Rows of fp32 activations -> rows of bf16 pairs (k, k+1), round to nearest even, zero past K.
void rows_to_bf16_pairs(const float* a, size_t lda, int rows, int K, uint32_t* out) {
  const int pairs = (K + 1) / 2;
  for (int r = 0; r < rows; ++r) {
    const float* src = a + static_cast<size_t>(r) * lda;
    uint32_t* dst = out + static_cast<size_t>(r) * pairs;
    int k = 0;
    for (; k + 32 <= K; k += 32) {
      const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + k + 16), _mm512_loadu_ps(src + k));
      _mm512_storeu_si512(dst + k / 2, reinterpret_cast<const __m512i&>(v));
    }
    for (; k < K; k += 2) dst[k / 2] = bf16_pair(src[k], k + 1 < K ? src[k + 1] : 0.0f);
  }
}

// BF16 operands, fp32 accumulation: each vdpbf16ps does two multiply-adds per lane, so a register
// tile does twice the work of the fp32 tile per instruction.
template <int R>
inline __attribute__((always_inline)) void dense_tile_bf16_dot(const DenseArgs& d, const uint32_t* a1, const uint32_t* a2, int r0, int pn) {
  const PackedDense& w = *d.w;
  __m512 acc[R][2];
  const __m512 b0 = _mm512_loadu_ps(w.bias.data() + pn * kPanel), b1 = _mm512_loadu_ps(w.bias.data() + pn * kPanel + kVec);
  for (int r = 0; r < R; ++r) {
    acc[r][0] = b0;
    acc[r][1] = b1;
  }
  const uint16_t* wh = w.half.data() + pn * w.panel_stride;
  for (int src = 0; src < 2; ++src) {
    const int pairs = src == 0 ? (w.k1 + 1) / 2 : (w.k2 + 1) / 2;
    if (pairs == 0) continue;
    const uint32_t* base = src == 0 ? a1 : a2;
    const uint32_t* row[R];
    for (int r = 0; r < R; ++r) row[r] = base + static_cast<size_t>(r0 + r) * pairs;
    for (int q = 0; q < pairs; ++q, wh += 2 * kPanel) {
      const __m512bh w0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(wh));
      const __m512bh w1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(wh + kPanel));
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512bh a = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(row[r][q])));
        acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, w0);
        acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, w1);
      }
    }
  }
  vf16 out[R][2];
  for (int r = 0; r < R; ++r) {
    out[r][0] = acc[r][0];
    out[r][1] = acc[r][1];
  }
  store_tile<R>(out, d, r0, pn * kPanel);
}

template <int R>
inline __attribute__((always_inline)) void dense_rest_bf16_dot(const DenseArgs& d, const uint32_t* a1, const uint32_t* a2, int r0, int rows, int pn) {
  if constexpr (R > 0) {
    if (rows == R) {
      dense_tile_bf16_dot<R>(d, a1, a2, r0, pn);
    } else {
      dense_rest_bf16_dot<R - 1>(d, a1, a2, r0, rows, pn);
    }
  }
}

void dense_bf16_dot(const DenseArgs& d) {
  const PackedDense& w = *d.w;
  if (w.format != WeightFormat::BF16) return dense_generic(d);
  uint32_t* a1 = d.scratch;
  uint32_t* a2 = a1 + static_cast<size_t>(d.rows) * ((w.k1 + 1) / 2);
  rows_to_bf16_pairs(d.a1, d.lda1, d.rows, w.k1, a1);
  if (w.k2) rows_to_bf16_pairs(d.a2, d.lda2, d.rows, w.k2, a2);
  const int full = d.rows - d.rows % kRowTile;
  for (int pn = 0; pn < w.panels; ++pn) {
    for (int r0 = 0; r0 < full; r0 += kRowTile) dense_tile_bf16_dot<kRowTile>(d, a1, a2, r0, pn);
    if (full < d.rows) dense_rest_bf16_dot<kRowTile - 1>(d, a1, a2, full, d.rows - full, pn);
  }
}

// BF16 dot-product peak: 16 lanes x 2 pairs x 2 flops per instruction.
double peak_bf16_gflops(double seconds) {
  constexpr int kChains = 12;
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(1.0f);
  const __m512bh x = reinterpret_cast<__m512bh>(_mm512_set1_epi32(0x3F803F80));  // (1.0, 1.0)
  const __m512bh y = reinterpret_cast<__m512bh>(_mm512_set1_epi32(0x33803380));  // tiny
  const auto start = std::chrono::steady_clock::now();
  double flops = 0.0, elapsed = 0.0;
  do {
    for (int it = 0; it < 100000; ++it) {
#pragma GCC unroll 16
      for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbf16_ps(acc[c], x, y);
    }
    flops += 100000.0 * kChains * kVec * 4;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  volatile float sink = 0.0f;
  for (int c = 0; c < kChains; ++c) sink = sink + _mm512_cvtss_f32(acc[c]);
  return flops / elapsed / 1e9;
}

double peak(double seconds, bool bf16) { return bf16 ? 0.0 : peak_fp32_gflops(seconds); }
double peak_with_bf16(double seconds, bool bf16) {
  return bf16 ? peak_bf16_gflops(seconds) : peak_fp32_gflops(seconds);
}

// BF16 layers on AMX tiles where they fit, the rest as in the plain table.
DenseFn amx_dense = nullptr;
DenseFn amx_split = nullptr;
void dense_amx_or_generic(const DenseArgs& d) {
  if (amx_fits(*d.w)) return amx_dense(d);
  if (!d.w->split_hi.empty()) return amx_split(d);
  dense_generic(d);
}
double peak_with_amx(double seconds, bool bf16) {
  return bf16 ? amx_peak_gflops(seconds) : peak_fp32_gflops(seconds);
}

const CpuKernels kTable = {"avx512", kPanel, false, false, dense_generic, mean_aggregate, weighted_column_sum,
                           attention_key_weights, attention_rows, peak, fold_product};
const CpuKernels kTableBf16 = {"avx512", kPanel, true, false, dense_bf16_dot, mean_aggregate, weighted_column_sum,
                               attention_key_weights, attention_rows, peak_with_bf16, fold_product};
const CpuKernels kTableAmx = {"amx", kPanel, true, true, dense_amx_or_generic, mean_aggregate, weighted_column_sum,
                              attention_key_weights, attention_rows, peak_with_amx, fold_product};

// Where vdpbf16ps pays: AMD Zen 4/5 run it at the FP32 FMA rate with twice the work per
// instruction; Intel cores run it at half the FMA rate, slower than widening bf16 to fp32.
bool bf16_dot_beats_fma() {
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return false;
  return b == 0x68747541u;  // "Auth" of AuthenticAMD
}

}  // namespace

bool avx512_usable() {
  const CpuFeatures& f = cpu_features();
  return f.avx512f && f.avx512bw && f.avx512vl && f.avx2 && f.fma && f.f16c;
}

const CpuKernels* avx512_kernels() {
  if (!avx512_usable()) return nullptr;
  return cpu_features().avx512bf16 && bf16_dot_beats_fma() ? &kTableBf16 : &kTable;
}

const CpuKernels* amx_kernels() {
  if (!avx512_usable() || !cpu_features().avx512bf16) return nullptr;
  static const bool usable = [] {
    amx_dense = amx_bf16_dense();
    amx_split = amx_split_dense();
    return amx_dense && amx_split;
  }();
  return usable ? &kTableAmx : nullptr;
}

}  // namespace hawkgraph::cpu
#else
namespace hawkgraph::cpu {
const CpuKernels* avx512_kernels() { return nullptr; }
const CpuKernels* amx_kernels() { return nullptr; }
}  // namespace hawkgraph::cpu
#endif
