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
// Outputs narrower than one vector (a critic's value, an actor's head, a first layer's input
// gradient) take a dot-product or axpy form instead of a mostly empty register block.
constexpr int kNarrow = 16;
// The widest layer the narrow paths stage on the stack (limits::kMaxSacHiddenWidth covers it,
// plus the critic's inputs).
constexpr int kMaxNarrowDepth = 512;

// c[r][0, 16 V) = init + sum_t a[r * sa_r + t * sa_t] * b[t * ldb + (0, 16 V)] for r < R. The
// R x 16 V block of c stays in registers (16 AVX-512 registers at R = 4, V = 4) for the whole
// reduction, so each loaded row of b feeds R V fused multiply-adds. The two strides of a let one
// kernel serve x * w (a = x, t over inputs) and x^T * dy (a = x read down a column, t over the batch).
template <int R, int V>
__attribute__((always_inline)) inline void block(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, const float* b, ptrdiff_t ldb, int t_count,
                                                 const float* init, float* c, ptrdiff_t ldc, bool relu) {
  v16 acc[R][V];
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) acc[r][v] = init != nullptr ? load16(init + 16 * v) : v16{};
  }
  for (int t = 0; t < t_count; ++t) {
    const float* bt = b + t * ldb;
    v16 bv[V];
    for (int v = 0; v < V; ++v) bv[v] = load16(bt + 16 * v);
    for (int r = 0; r < R; ++r) {
      const float s = a[r * sa_r + t * sa_t];
      for (int v = 0; v < V; ++v) acc[r][v] += s * bv[v];
    }
  }
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    for (int v = 0; v < V; ++v) store16(cr + 16 * v, acc[r][v]);
    // On the stored row rather than with a vector select, which not every compiler takes in C++.
    if (relu) {
      for (int j = 0; j < 16 * V; ++j) cr[j] = cr[j] > 0.0f ? cr[j] : 0.0f;
    }
  }
}

template <int V>
__attribute__((always_inline)) inline void block_rows(int rows, const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, const float* b, ptrdiff_t ldb,
                                                      int t_count, const float* init, float* c, ptrdiff_t ldc, bool relu) {
  switch (rows) {
    case 4: block<4, V>(a, sa_r, sa_t, b, ldb, t_count, init, c, ldc, relu); break;
    case 3: block<3, V>(a, sa_r, sa_t, b, ldb, t_count, init, c, ldc, relu); break;
    case 2: block<2, V>(a, sa_r, sa_t, b, ldb, t_count, init, c, ldc, relu); break;
    default: block<1, V>(a, sa_r, sa_t, b, ldb, t_count, init, c, ldc, relu); break;
  }
}

// The columns [c0, c1) left after the vector blocks, in the same order of summation.
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

__attribute__((always_inline)) inline float horizontal_sum(v16 v) {
  float s = 0.0f;
  for (int i = 0; i < 16; ++i) s += v[i];
  return s;
}

// Narrow outputs with rows of a contiguous in t: c[r][j] = init[j] + dot(a[r], b[., j]), with b
// transposed once so both operands of each dot product are contiguous.
__attribute__((always_inline)) inline void narrow_dots(const float* a, ptrdiff_t sa_r, int m, int t_count, const float* b, int n, const float* init,
                                                       float* c, bool relu) {
  float bt[kNarrow * kMaxNarrowDepth];
  for (int t = 0; t < t_count; ++t) {
    for (int j = 0; j < n; ++j) bt[j * t_count + t] = b[t * n + j];
  }
  const int t_vec = t_count / 16 * 16;
  for (int r = 0; r < m; ++r) {
    const float* ar = a + r * sa_r;
    for (int j = 0; j < n; ++j) {
      const float* bj = bt + j * t_count;
      v16 acc{};
      for (int t = 0; t < t_vec; t += 16) acc += load16(ar + t) * load16(bj + t);
      float s = horizontal_sum(acc);
      for (int t = t_vec; t < t_count; ++t) s += ar[t] * bj[t];
      s += init != nullptr ? init[j] : 0.0f;
      c[r * n + j] = relu && s < 0.0f ? 0.0f : s;
    }
  }
}

// Narrow outputs with a contiguous in r (x^T dy): accumulate c transposed, so the inner loop is an
// axpy over r that vectorises, then write it back.
__attribute__((always_inline)) inline void narrow_axpys(const float* a, ptrdiff_t sa_t, int m, int t_count, const float* b, int n, float* c) {
  float ct[kNarrow * kMaxNarrowDepth];
  for (int i = 0; i < n * m; ++i) ct[i] = 0.0f;
  for (int t = 0; t < t_count; ++t) {
    const float* at = a + t * sa_t;
    for (int j = 0; j < n; ++j) {
      const float s = b[t * n + j];
      float* cj = ct + j * m;
      for (int r = 0; r < m; ++r) cj[r] += s * at[r];
    }
  }
  for (int r = 0; r < m; ++r) {
    for (int j = 0; j < n; ++j) c[r * n + j] = ct[j * m + r];
  }
}

// c[M][N] = init + A[M][T] b[T][N], A read through (sa_r, sa_t); one clone per instruction set,
// picked once at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
void product(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, int m, int t_count, const float* b, int n, const float* init, float* c, bool relu) {
  if (n < kNarrow && sa_t == 1 && t_count <= kMaxNarrowDepth) return narrow_dots(a, sa_r, m, t_count, b, n, init, c, relu);
  if (n < kNarrow && sa_r == 1 && m <= kMaxNarrowDepth && init == nullptr && !relu) return narrow_axpys(a, sa_t, m, t_count, b, n, c);
  const int n64 = n / kBlockCols * kBlockCols, n16 = n / 16 * 16;
  for (int m0 = 0; m0 < m; m0 += kBlockRows) {
    const int rows = std::min(kBlockRows, m - m0);
    const float* am = a + m0 * sa_r;
    float* cm = c + static_cast<ptrdiff_t>(m0) * n;
    for (int j0 = 0; j0 < n64; j0 += kBlockCols) block_rows<4>(rows, am, sa_r, sa_t, b + j0, n, t_count, init != nullptr ? init + j0 : nullptr, cm + j0, n, relu);
    for (int j0 = n64; j0 < n16; j0 += 16) block_rows<1>(rows, am, sa_r, sa_t, b + j0, n, t_count, init != nullptr ? init + j0 : nullptr, cm + j0, n, relu);
    if (n16 < n) block_tail(am, sa_r, sa_t, b, n, t_count, init, cm, n, rows, n16, n, relu);
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
