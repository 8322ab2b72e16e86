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

// tmm0-3: C[row half][column half]; tmm4-5: A row halves; tmm6-7: B column halves.
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

void dense_amx(const DenseArgs& d) {
  const PackedDense& w = *d.w;
  const int pairs1 = (w.k1 + 1) / 2, pairs2 = (w.k2 + 1) / 2;
  const int padded_rows = (d.rows + 2 * kTileRows - 1) / (2 * kTileRows) * (2 * kTileRows);
  uint32_t* a1 = d.scratch;
  uint32_t* a2 = a1 + static_cast<size_t>(padded_rows) * pairs1;
  rows_to_pairs(d.a1, d.lda1, d.rows, w.k1, a1, pairs1);
  if (w.k2) rows_to_pairs(d.a2, d.lda2, d.rows, w.k2, a2, pairs2);
  // Rows past the matrix feed only accumulator rows that are never stored; zero them so the tile
  // unit never sees stale NaN patterns.
  std::memset(a1 + static_cast<size_t>(d.rows) * pairs1, 0, sizeof(uint32_t) * (padded_rows - d.rows) * pairs1);
  if (w.k2) std::memset(a2 + static_cast<size_t>(d.rows) * pairs2, 0, sizeof(uint32_t) * (padded_rows - d.rows) * pairs2);

  static thread_local const TileConfig config = make_config();
  _tile_loadconfig(&config);
  alignas(64) float acc[4][kTileRows * kTileCols];
  const size_t b_stride = static_cast<size_t>(w.panel) * 2 * sizeof(uint16_t);  // one pair row of a panel
  for (int pn = 0; pn < w.panels; ++pn) {
    const uint16_t* panel = w.half.data() + pn * w.panel_stride;
    for (int r0 = 0; r0 < d.rows; r0 += 2 * kTileRows) {
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int src = 0; src < 2; ++src) {
        const int pairs = src == 0 ? pairs1 : pairs2;
        if (pairs == 0) continue;
        const uint32_t* a = src == 0 ? a1 : a2;
        const uint16_t* b = panel + (src == 0 ? 0 : static_cast<size_t>(pairs1) * w.panel * 2);
        const size_t a_stride = static_cast<size_t>(pairs) * sizeof(uint32_t);
        for (int q = 0; q < pairs; q += kTilePairs) {
          _tile_loadd(4, a + static_cast<size_t>(r0) * pairs + q, a_stride);
          _tile_loadd(5, a + static_cast<size_t>(r0 + kTileRows) * pairs + q, a_stride);
          _tile_loadd(6, b + static_cast<size_t>(q) * w.panel * 2, b_stride);
          _tile_loadd(7, b + static_cast<size_t>(q) * w.panel * 2 + kTileCols * 2, b_stride);
          _tile_dpbf16ps(0, 4, 6);
          _tile_dpbf16ps(1, 4, 7);
          _tile_dpbf16ps(2, 5, 6);
          _tile_dpbf16ps(3, 5, 7);
        }
      }
      _tile_stored(0, acc[0], kTileCols * sizeof(float));
      _tile_stored(1, acc[1], kTileCols * sizeof(float));
      _tile_stored(2, acc[2], kTileCols * sizeof(float));
      _tile_stored(3, acc[3], kTileCols * sizeof(float));
      const int c0 = pn * w.panel;
      store_tile(acc[0], d, r0, c0);
      store_tile(acc[1], d, r0, c0 + kTileCols);
      store_tile(acc[2], d, r0 + kTileRows, c0);
      store_tile(acc[3], d, r0 + kTileRows, c0 + kTileCols);
    }
  }
  // Hands the tile state back so context switches and AVX-512 code after us pay nothing for it.
  _tile_release();
}

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

bool amx_fits(const PackedDense& w) {
  // Tiles take k in steps of 32 per input and two 16-column halves of a 32-wide panel.
  return w.format == WeightFormat::BF16 && w.panel == 32 && w.k1 % 32 == 0 && w.k2 % 32 == 0;
}

}  // namespace hawkgraph::cpu
#else
namespace hawkgraph::cpu {
DenseFn amx_bf16_dense() { return nullptr; }
double amx_peak_gflops(double) { return 0.0; }
bool amx_fits(const PackedDense&) { return false; }
}  // namespace hawkgraph::cpu
#endif
