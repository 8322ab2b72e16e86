#include "dense_kernels.hpp"

#include <algorithm>

// The v16 helpers are always inlined into their callers' clones, never called across an ABI
// boundary, so the vector-ABI note GCC gives for them does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace hawkgraph::sac {
namespace {

// 16 floats: one AVX-512 register, two AVX2 ones, four SSE ones; the clones below pick the width.
typedef float v16 __attribute__((vector_size(64)));

__attribute__((always_inline)) inline v16 load16(const float* p) {
  v16 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((always_inline)) inline void store16(float* p, v16 v) { __builtin_memcpy(p, &v, sizeof v); }

constexpr int kBlockCols = 64;
constexpr int kBlockRows = 4;

// c[r][0, 64) = init + sum_t a[r * sa_r + t * sa_t] * b[t * ldb + (0, 64)] for r < R. The R x 64
// block of c stays in registers (16 AVX-512 registers at R = 4) for the whole reduction, so each
// loaded row of b feeds 4 R fused multiply-adds. The two strides of a let one kernel serve
// x * w (a = x, t over inputs) and x^T * dy (a = x read down a column, t over the batch).
template <int R>
__attribute__((always_inline)) inline void block_r64(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, const float* b, ptrdiff_t ldb, int t_count,
                                                     const float* init, float* c, ptrdiff_t ldc, bool relu) {
  v16 acc[R][4];
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < 4; ++v) acc[r][v] = init != nullptr ? load16(init + 16 * v) : v16{};
  }
  for (int t = 0; t < t_count; ++t) {
    const float* bt = b + t * ldb;
    const v16 b0 = load16(bt), b1 = load16(bt + 16), b2 = load16(bt + 32), b3 = load16(bt + 48);
    for (int r = 0; r < R; ++r) {
      const float s = a[r * sa_r + t * sa_t];
      acc[r][0] += s * b0;
      acc[r][1] += s * b1;
      acc[r][2] += s * b2;
      acc[r][3] += s * b3;
    }
  }
  const v16 zero{};
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < 4; ++v) store16(c + r * ldc + 16 * v, relu ? (acc[r][v] > zero ? acc[r][v] : zero) : acc[r][v]);
  }
}

// The columns [c0, c1) that do not fill a 64-wide block, in the same order of summation.
__attribute__((always_inline)) inline void block_tail(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, const float* b, ptrdiff_t ldb, int t_count,
                                                      const float* init, float* c, ptrdiff_t ldc, int rows, int c0, int c1, bool relu) {
  for (int r = 0; r < rows; ++r) {
    for (int j = c0; j < c1; ++j) c[r * ldc + j] = init != nullptr ? init[j] : 0.0f;
  }
  for (int t = 0; t < t_count; ++t) {
    const float* bt = b + t * ldb;
    for (int r = 0; r < rows; ++r) {
      const float s = a[r * sa_r + t * sa_t];
      float* cr = c + r * ldc;
      for (int j = c0; j < c1; ++j) cr[j] += s * bt[j];
    }
  }
  if (relu) {
    for (int r = 0; r < rows; ++r) {
      for (int j = c0; j < c1; ++j) c[r * ldc + j] = c[r * ldc + j] > 0.0f ? c[r * ldc + j] : 0.0f;
    }
  }
}

// c[M][N] = init + A[M][T] b[T][N], A read through (sa_r, sa_t); one clone per instruction set,
// picked once at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
void product(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, int m, int t_count, const float* b, int n, const float* init, float* c, bool relu) {
  const int n_blocked = n / kBlockCols * kBlockCols;
  for (int m0 = 0; m0 < m; m0 += kBlockRows) {
    const int rows = std::min(kBlockRows, m - m0);
    const float* am = a + m0 * sa_r;
    float* cm = c + static_cast<ptrdiff_t>(m0) * n;
    for (int j0 = 0; j0 < n_blocked; j0 += kBlockCols) {
      const float* ij = init != nullptr ? init + j0 : nullptr;
      switch (rows) {
        case 4: block_r64<4>(am, sa_r, sa_t, b + j0, n, t_count, ij, cm + j0, n, relu); break;
        case 3: block_r64<3>(am, sa_r, sa_t, b + j0, n, t_count, ij, cm + j0, n, relu); break;
        case 2: block_r64<2>(am, sa_r, sa_t, b + j0, n, t_count, ij, cm + j0, n, relu); break;
        default: block_r64<1>(am, sa_r, sa_t, b + j0, n, t_count, ij, cm + j0, n, relu); break;
      }
    }
    if (n_blocked < n) block_tail(am, sa_r, sa_t, b, n, t_count, init, cm, n, rows, n_blocked, n, relu);
  }
}

}  // namespace

void dense_forward(const float* x, int batch, int k, const float* w, const float* bias, int n, float* y, bool relu) {
  product(x, k, 1, batch, k, w, n, bias, y, relu);
}

void dense_weight_grad(const float* x, int batch, int k, const float* dy, int n, float* dw, float* db) {
  product(x, 1, k, k, batch, dy, n, nullptr, dw, false);
  for (int j = 0; j < n; ++j) db[j] = 0.0f;
  for (int b = 0; b < batch; ++b) {
    const float* row = dy + static_cast<ptrdiff_t>(b) * n;
    for (int j = 0; j < n; ++j) db[j] += row[j];
  }
}

void dense_input_grad(const float* dy, int batch, int n, const float* w, int k, float* dx, float* wt_scratch) {
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < n; ++j) wt_scratch[static_cast<ptrdiff_t>(j) * k + i] = w[static_cast<ptrdiff_t>(i) * n + j];
  }
  product(dy, n, 1, batch, n, wt_scratch, k, nullptr, dx, false);
}

}  // namespace hawkgraph::sac
