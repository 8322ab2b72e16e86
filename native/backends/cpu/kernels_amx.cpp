// BF16 dense maps on AMX tiles (Intel Sapphire Rapids and later): one TDPBF16PS multiplies a
// 16 x 32 bf16 tile by a 32 x 16 bf16 tile into 16 x 16 fp32 accumulators, 8192 multiply-adds
// per instruction, about 16x the AVX-512 FP32 rate per core. This file alone is compiled with
// -mamx-tile -mamx-bf16 (plus AVX-512); it is reached only through amx_bf16_dense(), which returns
// nullptr unless cpuid reports AMX and Linux grants this process the tile state.
// Operands: activations as rows of bf16 pairs ([rows][k/2] u32, rows padded to 32), weights in
// PackedDense's BF16 panel layout ([k/2][panel][2]), which is exactly the tile B layout with a
// row stride of one panel.
#include "kernels.hpp"

#if defined(__x86_64__) && defined(__linux__) && defined(__AMX_TILE__) && defined(__AMX_BF16__) && defined(__AVX512F__)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cpuid.h>
#include <chrono>
#include <cstring>

namespace hawkgraph::cpu {
namespace {

constexpr int kTileRows = 16;
constexpr int kTilePairs = 16;  // 32 bf16 of k per tile
constexpr int kTileCols = 16;   // fp32 outputs per tile row

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Every tile 16 rows x 64 bytes: tmm0-3 accumulators, tmm4-5 activations, tmm6-7 weights.
TileConfig make_config() {
  TileConfig c;
  for (int t = 0; t < 8; ++t) {
    c.rows[t] = kTileRows;
    c.colsb[t] = 64;
  }
  return c;
}

bool os_grants_amx() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool tile = d & (1u << 24), bf16 = d & (1u << 22);
  if (!tile || !bf16) return false;
  // Linux keeps the 8 KiB tile state off until a process asks (ARCH_REQ_XCOMP_PERM, XTILEDATA).
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

uint32_t bf16_pair(float lo, float hi) {
  auto round = [](float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  };
  return round(lo) | (round(hi) << 16);
}

void rows_to_pairs(const float* a, size_t lda, int rows, int K, uint32_t* out, int ld_pairs) {
  for (int r = 0; r < rows; ++r) {
    const float* src = a + static_cast<size_t>(r) * lda;
    uint32_t* dst = out + static_cast<size_t>(r) * ld_pairs;
    int k = 0;
    for (; k + 32 <= K; k += 32) {
      const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + k + 16), _mm512_loadu_ps(src + k));
      _mm512_storeu_si512(dst + k / 2, reinterpret_cast<const __m512i&>(v));
    }
    for (; k < K; k += 2) dst[k / 2] = bf16_pair(src[k], k + 1 < K ? src[k + 1] : 0.0f);
  }
}

// Bias, ReLU and the store of one 16-row x 16-column accumulator tile (rows/columns past the
// matrix are dropped).
void store_tile(const float* acc, const DenseArgs& d, int r0, int c0) {
  const int rows = d.rows - r0 < kTileRows ? d.rows - r0 : kTileRows;
  const int cols = d.w->out - c0 < kTileCols ? d.w->out - c0 : kTileCols;
  if (rows <= 0 || cols <= 0) return;
  const __mmask16 mask = static_cast<__mmask16>((1u << cols) - 1);
  const __m512 bias = _mm512_loadu_ps(d.w->bias.data() + c0);
  for (int r = 0; r < rows; ++r) {
    __m512 v = _mm512_add_ps(_mm512_loadu_ps(acc + r * kTileCols), bias);
    if (d.relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(d.y + static_cast<size_t>(r0 + r) * d.ldy + c0, mask, v);
  }
}

// Split rows: hi = bf16(a), lo = bf16(a - hi), as pair rows like rows_to_pairs.
void rows_to_split_pairs(const float* a, size_t lda, int rows, int K, uint32_t* hi, uint32_t* lo, int ld_pairs) {
  for (int r = 0; r < rows; ++r) {
    const float* src = a + static_cast<size_t>(r) * lda;
    uint32_t* dh = hi + static_cast<size_t>(r) * ld_pairs;
    uint32_t* dl = lo + static_cast<size_t>(r) * ld_pairs;
    int k = 0;
    for (; k + 32 <= K; k += 32) {
      const __m512 x0 = _mm512_loadu_ps(src + k), x1 = _mm512_loadu_ps(src + k + 16);
      const __m512bh h = _mm512_cvtne2ps_pbh(x1, x0);
      // Widen hi back to fp32 (bf16 is the top half of a float) for the residuals.
      const __m512i hi_bits = reinterpret_cast<const __m512i&>(h);
      const __m512 h0 = _mm512_castsi512_ps(_mm512_slli_epi32(hi_bits, 16));
      const __m512 h1 = _mm512_castsi512_ps(_mm512_and_si512(hi_bits, _mm512_set1_epi32(static_cast<int>(0xFFFF0000u))));
      // h0 holds the even elements of the pairs, h1 the odd ones: de-interleave x the same way.
      const __m512i idx_even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
      const __m512i idx_odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
      const __m512 xe = _mm512_permutex2var_ps(x0, idx_even, x1), xo = _mm512_permutex2var_ps(x0, idx_odd, x1);
      const __m512bh l = _mm512_cvtne2ps_pbh(_mm512_sub_ps(xo, h1), _mm512_sub_ps(xe, h0));
      // l holds [even residuals (16) | odd residuals (16)]: interleave back into pairs.
      const __m512i lbits = reinterpret_cast<const __m512i&>(l);
      const __m512i pairs = _mm512_permutexvar_epi16(
          _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0),
          lbits);
      _mm512_storeu_si512(dh + k / 2, hi_bits);
      _mm512_storeu_si512(dl + k / 2, pairs);
    }
    for (; k < K; k += 2) {
      const float x0 = src[k], x1 = k + 1 < K ? src[k + 1] : 0.0f;
      const uint32_t h = bf16_pair(x0, x1);
      float h0, h1;
      const uint32_t b0 = h << 16, b1 = h & 0xFFFF0000u;
      std::memcpy(&h0, &b0, 4);
      std::memcpy(&h1, &b1, 4);
      dh[k / 2] = h;
      dl[k / 2] = bf16_pair(x0 - h0, x1 - h1);
    }
  }
}

// Up to 4 row tiles (64 rows) x one 16-column half of a panel: accumulators in tmm0..R-1, the
// activation tile in tmm4 (tmm5: its lo half), the weight tile in tmm6 (tmm7: its lo half). Each
// weight tile is loaded once per 64 rows; the activation tiles come back from L1.
template <bool Split, int R>
void tile_block(const DenseArgs& d, int r0, const uint32_t* hi1, const uint32_t* hi2, const uint32_t* lo1,
                const uint32_t* lo2) {
  const PackedDense& w = *d.w;
  const int pairs1 = (w.k1 + 1) / 2, pairs2 = (w.k2 + 1) / 2;
  const size_t b_stride = static_cast<size_t>(w.panel) * 2 * sizeof(uint16_t);  // one pair row of a panel
  const size_t panel_stride = Split ? w.split_stride : w.panel_stride;
  const uint16_t* b_hi_all = Split ? w.split_hi.data() : w.half.data();
  const uint16_t* b_lo_all = Split ? w.split_lo.data() : nullptr;
  alignas(64) float acc[kTileRows * kTileCols];
  for (int pn = 0; pn < w.panels; ++pn) {
    for (int half = 0; half < 2; ++half) {
      const int c0 = pn * w.panel + half * kTileCols;
      if (c0 >= w.out) break;
      _tile_zero(0);
      if constexpr (R > 1) _tile_zero(1);
      if constexpr (R > 2) _tile_zero(2);
      if constexpr (R > 3) _tile_zero(3);
      for (int src = 0; src < 2; ++src) {
        const int pairs = src == 0 ? pairs1 : pairs2;
        if (pairs == 0) continue;
        const uint32_t* a_hi = src == 0 ? hi1 : hi2;
        const uint32_t* a_lo = src == 0 ? lo1 : lo2;
        const size_t b_off = pn * panel_stride + (src == 0 ? 0 : static_cast<size_t>(pairs1) * w.panel * 2) + half * kTileCols * 2;
        const size_t a_stride = static_cast<size_t>(pairs) * sizeof(uint32_t);
        const size_t row_step = static_cast<size_t>(kTileRows) * pairs;
        for (int q = 0; q < pairs; q += kTilePairs) {
          const size_t a0 = static_cast<size_t>(r0) * pairs + q;
          const size_t b0 = b_off + static_cast<size_t>(q) * w.panel * 2;
          _tile_loadd(6, b_hi_all + b0, b_stride);
          if constexpr (Split) _tile_loadd(7, b_lo_all + b0, b_stride);
#define HG_ROW_TILE(T)                                                   \
  if constexpr (R > T) {                                                 \
    _tile_loadd(4, a_hi + a0 + T * row_step, a_stride);                  \
    _tile_dpbf16ps(T, 4, 6);                                             \
    if constexpr (Split) {                                               \
      _tile_dpbf16ps(T, 4, 7);                                           \
      _tile_loadd(5, a_lo + a0 + T * row_step, a_stride);                \
      _tile_dpbf16ps(T, 5, 6);                                           \
    }                                                                    \
  }
          HG_ROW_TILE(0)
          HG_ROW_TILE(1)
          HG_ROW_TILE(2)
          HG_ROW_TILE(3)
#undef HG_ROW_TILE
        }
      }
#define HG_STORE_TILE(T)                                                 \
  if constexpr (R > T) {                                                 \
    _tile_stored(T, acc, kTileCols * sizeof(float));                     \
    store_tile(acc, d, r0 + T * kTileRows, c0);                          \
  }
      HG_STORE_TILE(0)
      HG_STORE_TILE(1)
      HG_STORE_TILE(2)
      HG_STORE_TILE(3)
#undef HG_STORE_TILE
    }
  }
}

// Split == false: one product of bf16 operands. Split == true: fp32 operands and weights each as
// hi + lo bf16, three products (hi.hi + hi.lo + lo.hi) into the same accumulators.
template <bool Split>
void dense_tiles(const DenseArgs& d) {
  const PackedDense& w = *d.w;
  const int pairs1 = (w.k1 + 1) / 2, pairs2 = (w.k2 + 1) / 2;
  const int padded_rows = (d.rows + kTileRows - 1) / kTileRows * kTileRows;
  const size_t words = static_cast<size_t>(padded_rows) * (pairs1 + pairs2);
  uint32_t* hi1 = d.scratch;
  uint32_t* hi2 = hi1 + static_cast<size_t>(padded_rows) * pairs1;
  uint32_t* lo1 = d.scratch + words;
  uint32_t* lo2 = lo1 + static_cast<size_t>(padded_rows) * pairs1;
  if constexpr (Split) {
    rows_to_split_pairs(d.a1, d.lda1, d.rows, w.k1, hi1, lo1, pairs1);
    if (w.k2) rows_to_split_pairs(d.a2, d.lda2, d.rows, w.k2, hi2, lo2, pairs2);
  } else {
    rows_to_pairs(d.a1, d.lda1, d.rows, w.k1, hi1, pairs1);
    if (w.k2) rows_to_pairs(d.a2, d.lda2, d.rows, w.k2, hi2, pairs2);
  }
  // Rows past the matrix feed only accumulator rows that are never stored; zero them so the tile
  // unit never sees stale NaN patterns.
  const size_t tail = static_cast<size_t>(padded_rows - d.rows);
  std::memset(hi1 + static_cast<size_t>(d.rows) * pairs1, 0, sizeof(uint32_t) * tail * pairs1);
  if (w.k2) std::memset(hi2 + static_cast<size_t>(d.rows) * pairs2, 0, sizeof(uint32_t) * tail * pairs2);
  if constexpr (Split) {
    std::memset(lo1 + static_cast<size_t>(d.rows) * pairs1, 0, sizeof(uint32_t) * tail * pairs1);
    if (w.k2) std::memset(lo2 + static_cast<size_t>(d.rows) * pairs2, 0, sizeof(uint32_t) * tail * pairs2);
  }

  static thread_local const TileConfig config = make_config();
  _tile_loadconfig(&config);
  for (int r0 = 0; r0 < d.rows; r0 += 4 * kTileRows) {
    const int row_tiles = (d.rows - r0 + kTileRows - 1) / kTileRows;
    switch (row_tiles < 4 ? row_tiles : 4) {
      case 1: tile_block<Split, 1>(d, r0, hi1, hi2, lo1, lo2); break;
      case 2: tile_block<Split, 2>(d, r0, hi1, hi2, lo1, lo2); break;
      case 3: tile_block<Split, 3>(d, r0, hi1, hi2, lo1, lo2); break;
      default: tile_block<Split, 4>(d, r0, hi1, hi2, lo1, lo2); break;
    }
  }
  // Hands the tile state back so context switches and AVX-512 code after us pay nothing for it.
  _tile_release();
}

void dense_amx(const DenseArgs& d) { dense_tiles<false>(d); }
void dense_amx_split(const DenseArgs& d) { dense_tiles<true>(d); }

}  // namespace

double amx_peak_gflops(double seconds) {
  if (!amx_bf16_dense()) return 0.0;
  alignas(64) static uint16_t operand[kTileRows * 32];
  for (auto& v : operand) v = 0x3C00;  // bf16 ~0.0078
  static thread_local const TileConfig config = make_config();
  _tile_loadconfig(&config);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, operand, 64);
  _tile_loadd(5, operand, 64);
  _tile_loadd(6, operand, 64);
  _tile_loadd(7, operand, 64);
  const auto start = std::chrono::steady_clock::now();
  double flops = 0.0, elapsed = 0.0;
  do {
    for (int it = 0; it < 10000; ++it) {
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(1, 4, 7);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
    flops += 10000.0 * 4 * kTileRows * kTileCols * 32 * 2;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  alignas(64) float sink[kTileRows * kTileCols];
  _tile_stored(0, sink, 64);
  _tile_release();
  volatile float keep = sink[0];
  (void)keep;
  return flops / elapsed / 1e9;
}

DenseFn amx_bf16_dense() {
  static const bool usable = os_grants_amx();
  return usable ? &dense_amx : nullptr;
}

DenseFn amx_split_dense() { return amx_bf16_dense() ? &dense_amx_split : nullptr; }

bool amx_fits(const PackedDense& w) {
  // Tiles take k in steps of 32 per input and two 16-column halves of a 32-wide panel.
  return w.format == WeightFormat::BF16 && w.panel == 32 && w.k1 % 32 == 0 && w.k2 % 32 == 0;
}

}  // namespace hawkgraph::cpu
#else
namespace hawkgraph::cpu {
DenseFn amx_bf16_dense() { return nullptr; }
DenseFn amx_split_dense() { return nullptr; }
double amx_peak_gflops(double) { return 0.0; }
bool amx_fits(const PackedDense&) { return false; }
}  // namespace hawkgraph::cpu
#endif
