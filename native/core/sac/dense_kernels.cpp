#include "dense_kernels.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "../cpu_features.hpp"

// The vector helpers are always inlined into their callers, never called across an ABI
// boundary, so the vector-ABI note GCC gives for them does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace hawkgraph::sac {
namespace {

// W floats in one GCC vector: the register blocks use the widest the instruction set holds in
// one register (16 on AVX-512, 8 on AVX2, 4 on SSE). A vector wider than the registers is lowered
// through the stack, element by element: a 16-float vector on AVX2 made SAC training ten times
// slower there than on AVX-512.
template <int W> struct Lanes;
template <> struct Lanes<16> {
  typedef float F __attribute__((vector_size(64)));
  typedef int I __attribute__((vector_size(64)));
};
template <> struct Lanes<8> {
  typedef float F __attribute__((vector_size(32)));
  typedef int I __attribute__((vector_size(32)));
};
template <> struct Lanes<4> {
  typedef float F __attribute__((vector_size(16)));
  typedef int I __attribute__((vector_size(16)));
};

// 16 floats: the narrow paths' vector on every instruction set.
typedef Lanes<16>::F v16;

template <int W>
__attribute__((always_inline)) inline typename Lanes<W>::F load_lanes(const float* p) {
  typename Lanes<W>::F v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

template <int W>
__attribute__((always_inline)) inline void store_lanes(float* p, typename Lanes<W>::F v) {
  __builtin_memcpy(p, &v, sizeof v);
}

// v where g > 0, else 0, in registers: a lane mask from the comparison (every compiler takes
// that on vector types in C++, unlike a vector ?:). keep_positive(v, v) is the ReLU;
// keep_positive(x, dx) its backward pass, gated by the forward's output x.
template <int W>
__attribute__((always_inline)) inline typename Lanes<W>::F keep_positive(typename Lanes<W>::F g, typename Lanes<W>::F v) {
  const typename Lanes<W>::F zero{};
  typename Lanes<W>::I bits;
  __builtin_memcpy(&bits, &v, sizeof bits);
  bits &= (g > zero);
  __builtin_memcpy(&v, &bits, sizeof v);
  return v;
}

constexpr int kBlockRows = 4;
// Outputs narrower than one vector (a critic's value, an actor's head, a first layer's input
// gradient) take a dot-product or axpy form instead of a mostly empty register block.
constexpr int kNarrow = 16;
// The widest layer the narrow paths stage on the stack (limits::kMaxSacHiddenWidth covers it,
// plus the critic's inputs).
constexpr int kMaxNarrowDepth = 512;

// c[r][0, W V) = init + sum_t a[r * sa_r + t * sa_t] * b[t * ldb + (0, W V)] for r < R. The
// R x W V block of c stays in registers (16 AVX-512 registers at R = 4, V = 4) for the whole
// reduction, so each loaded row of b feeds R V fused multiply-adds. The two strides of a let one
// kernel serve x * w (a = x, t over inputs) and x^T * dy (a = x read down a column, t over the batch).
template <int R, int V, int W>
__attribute__((always_inline)) inline void block(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, const float* b, ptrdiff_t ldb, int t_count,
                                                 const float* init, float* c, ptrdiff_t ldc, bool relu, const float* gate) {
  typedef typename Lanes<W>::F Vec;
  Vec acc[R][V];
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) acc[r][v] = init != nullptr ? load_lanes<W>(init + W * v) : Vec{};
  }
  for (int t = 0; t < t_count; ++t) {
    const float* bt = b + t * ldb;
    Vec bv[V];
    for (int v = 0; v < V; ++v) bv[v] = load_lanes<W>(bt + W * v);
    for (int r = 0; r < R; ++r) {
      const float s = a[r * sa_r + t * sa_t];
      for (int v = 0; v < V; ++v) acc[r][v] += s * bv[v];
    }
  }
  for (int r = 0; r < R; ++r) {
    float* cr = c + r * ldc;
    for (int v = 0; v < V; ++v) {
      Vec out = acc[r][v];
      if (relu) out = keep_positive<W>(out, out);
      if (gate != nullptr) out = keep_positive<W>(load_lanes<W>(gate + r * ldc + W * v), out);
      store_lanes<W>(cr + W * v, out);
    }
  }
}

template <int V, int W = 16>
__attribute__((always_inline)) inline void block_rows(int rows, const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, const float* b, ptrdiff_t ldb,
                                                      int t_count, const float* init, float* c, ptrdiff_t ldc, bool relu, const float* gate) {
  switch (rows) {
    case 4: block<4, V, W>(a, sa_r, sa_t, b, ldb, t_count, init, c, ldc, relu, gate); break;
    case 3: block<3, V, W>(a, sa_r, sa_t, b, ldb, t_count, init, c, ldc, relu, gate); break;
    case 2: block<2, V, W>(a, sa_r, sa_t, b, ldb, t_count, init, c, ldc, relu, gate); break;
    default: block<1, V, W>(a, sa_r, sa_t, b, ldb, t_count, init, c, ldc, relu, gate); break;
  }
}

// The columns [c0, c1) left after the vector blocks, in the same order of summation.
__attribute__((always_inline)) inline void block_tail(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, const float* b, ptrdiff_t ldb, int t_count,
                                                      const float* init, float* c, ptrdiff_t ldc, int rows, int c0, int c1, bool relu, const float* gate) {
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
  for (int r = 0; r < rows; ++r) {
    for (int j = c0; j < c1; ++j) {
      float& v = c[r * ldc + j];
      if (relu && !(v > 0.0f)) v = 0.0f;
      if (gate != nullptr && !(gate[r * ldc + j] > 0.0f)) v = 0.0f;
    }
  }
}

// The sum of v's lanes as a tree of halves (three vector adds, not fifteen scalar ones).
__attribute__((always_inline)) inline float horizontal_sum(v16 v) {
  typedef float v8 __attribute__((vector_size(32)));
  typedef float v4 __attribute__((vector_size(16)));
  v8 lo, hi;
  __builtin_memcpy(&lo, &v, sizeof lo);
  __builtin_memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
  const v8 s8 = lo + hi;
  v4 a, b;
  __builtin_memcpy(&a, &s8, sizeof a);
  __builtin_memcpy(&b, reinterpret_cast<const char*>(&s8) + sizeof a, sizeof b);
  const v4 s4 = a + b;
  return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

// One output column (a critic's value) with rows of a contiguous in t: a dot product per row,
// both operands contiguous (b is one column).
__attribute__((always_inline)) inline void column_dots(const float* a, ptrdiff_t sa_r, int m, int t_count, const float* b, const float* init, float* c,
                                                       bool relu, const float* gate) {
  const int t_vec = t_count / 16 * 16;
  for (int r = 0; r < m; ++r) {
    const float* ar = a + r * sa_r;
    v16 acc{};
    for (int t = 0; t < t_vec; t += 16) acc += load_lanes<16>(ar + t) * load_lanes<16>(b + t);
    float s = horizontal_sum(acc);
    for (int t = t_vec; t < t_count; ++t) s += ar[t] * b[t];
    s += init != nullptr ? init[0] : 0.0f;
    if (relu && !(s > 0.0f)) s = 0.0f;
    if (gate != nullptr && !(gate[r] > 0.0f)) s = 0.0f;
    c[r] = s;
  }
}

// Narrow outputs (n < 16) with rows of a contiguous in t: b and init padded with zeros to one
// vector of columns, so a row block is R broadcasts and R fused multiply-adds per t (no horizontal
// sums); each block lands in a staging row and its first n columns are copied out.
__attribute__((always_inline)) inline void narrow_padded(const float* a, ptrdiff_t sa_r, int m, int t_count, const float* b, int n, const float* init,
                                                         float* c, bool relu, const float* gate) {
  float b16[16 * kMaxNarrowDepth];
  float init16[16] = {};
  float stage[kBlockRows * 16];
  for (int t = 0; t < t_count; ++t) {
    for (int j = 0; j < 16; ++j) b16[t * 16 + j] = j < n ? b[t * n + j] : 0.0f;
  }
  for (int j = 0; j < n; ++j) init16[j] = init != nullptr ? init[j] : 0.0f;
  for (int m0 = 0; m0 < m; m0 += kBlockRows) {
    const int rows = std::min(kBlockRows, m - m0);
    block_rows<1>(rows, a + m0 * sa_r, sa_r, 1, b16, 16, t_count, init16, stage, 16, relu, nullptr);
    for (int r = 0; r < rows; ++r) {
      float* cr = c + static_cast<ptrdiff_t>(m0 + r) * n;
      const float* gr = gate != nullptr ? gate + static_cast<ptrdiff_t>(m0 + r) * n : nullptr;
      for (int j = 0; j < n; ++j) cr[j] = gr != nullptr && !(gr[j] > 0.0f) ? 0.0f : stage[r * 16 + j];
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

// c[M][N] = init + A[M][T] b[T][N], A read through (sa_r, sa_t), then the ReLU (relu) and the
// gate (c = 0 where gate <= 0, gate laid out as c), in blocks of R rows and V vectors of W
// columns. Every element sums over t in the same order whatever the block, so it changes no result.
template <int R, int V, int W>
__attribute__((always_inline)) inline void product_blocks(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, int m, int t_count, const float* b, int n,
                                                          const float* init, float* c, bool relu, const float* gate) {
  if (n == 1 && sa_t == 1) return column_dots(a, sa_r, m, t_count, b, init, c, relu, gate);
  if (n < kNarrow && sa_t == 1 && t_count <= kMaxNarrowDepth) return narrow_padded(a, sa_r, m, t_count, b, n, init, c, relu, gate);
  if (n < kNarrow && sa_r == 1 && m <= kMaxNarrowDepth && init == nullptr && !relu && gate == nullptr) return narrow_axpys(a, sa_t, m, t_count, b, n, c);
  constexpr int cols = W * V;
  const int n_blocks = n / cols * cols, n_vectors = n / W * W;
  for (int m0 = 0; m0 < m; m0 += R) {
    const int rows = std::min(R, m - m0);
    const float* am = a + m0 * sa_r;
    float* cm = c + static_cast<ptrdiff_t>(m0) * n;
    const float* gm = gate != nullptr ? gate + static_cast<ptrdiff_t>(m0) * n : nullptr;
    for (int j0 = 0; j0 < n_blocks; j0 += cols) {
      block_rows<V, W>(rows, am, sa_r, sa_t, b + j0, n, t_count, init != nullptr ? init + j0 : nullptr, cm + j0, n, relu, gm != nullptr ? gm + j0 : nullptr);
    }
    for (int j0 = n_blocks; j0 < n_vectors; j0 += W) {
      block_rows<1, W>(rows, am, sa_r, sa_t, b + j0, n, t_count, init != nullptr ? init + j0 : nullptr, cm + j0, n, relu, gm != nullptr ? gm + j0 : nullptr);
    }
    if (n_vectors < n) block_tail(am, sa_r, sa_t, b, n, t_count, init, cm, n, rows, n_vectors, n, relu, gm);
  }
}

using ProductFn = void (*)(const float*, ptrdiff_t, ptrdiff_t, int, int, const float*, int, const float*, float*, bool, const float*);

// One register block per instruction set, in its own vectors: the R x V accumulators plus V
// loaded vectors of b and a broadcast fit its register file.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))) void product_avx512(
    const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, int m, int t_count, const float* b, int n, const float* init, float* c, bool relu, const float* gate) {
  product_blocks<4, 4, 16>(a, sa_r, sa_t, m, t_count, b, n, init, c, relu, gate);  // 16 of 32 zmm
}
__attribute__((target("avx2,fma"))) void product_avx2(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, int m, int t_count, const float* b, int n,
                                                      const float* init, float* c, bool relu, const float* gate) {
  product_blocks<4, 2, 8>(a, sa_r, sa_t, m, t_count, b, n, init, c, relu, gate);  // 8 of 16 ymm
}
#endif
void product_baseline(const float* a, ptrdiff_t sa_r, ptrdiff_t sa_t, int m, int t_count, const float* b, int n, const float* init, float* c,
                      bool relu, const float* gate) {
  product_blocks<2, 4, 4>(a, sa_r, sa_t, m, t_count, b, n, init, c, relu, gate);  // 8 of 16 xmm
}

// HAWKGRAPH_CPU_KERNELS=portable (the CPU backend's switch) forces the baseline here too, so its
// path can be tested on any machine.
ProductFn pick_product() {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  const char* forced = std::getenv("HAWKGRAPH_CPU_KERNELS");
  if (forced != nullptr && std::string(forced) == "portable") return product_baseline;
  const CpuFeatures& f = cpu_features();
  if (f.avx512f && f.avx512dq && f.avx512bw && f.avx512vl && f.avx2 && f.fma) return product_avx512;
  if (f.avx2 && f.fma) return product_avx2;
#endif
  return product_baseline;
}

const ProductFn product = pick_product();

// db[j] = sum_b dy[b][j]: restrict-qualified so the loop over j vectorises.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
void column_sums(const float* __restrict dy, int batch, int n, float* __restrict db) {
  for (int j = 0; j < n; ++j) db[j] = 0.0f;
  for (int b = 0; b < batch; ++b) {
    const float* __restrict row = dy + static_cast<ptrdiff_t>(b) * n;
    for (int j = 0; j < n; ++j) db[j] += row[j];
  }
}

}  // namespace

void dense_forward(const float* x, int batch, int k, const float* w, const float* bias, int n, float* y, bool relu) {
  product(x, k, 1, batch, k, w, n, bias, y, relu, nullptr);
}

void dense_weight_grad(const float* x, int batch, int k, const float* dy, int n, float* dw, float* db) {
  product(x, 1, k, k, batch, dy, n, nullptr, dw, false, nullptr);
  column_sums(dy, batch, n, db);
}

void dense_input_grad(const float* dy, int batch, int n, const float* w, int k, float* dx, float* wt_scratch, const float* gate) {
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < n; ++j) wt_scratch[static_cast<ptrdiff_t>(j) * k + i] = w[static_cast<ptrdiff_t>(i) * n + j];
  }
  product(dy, n, 1, batch, n, wt_scratch, k, nullptr, dx, false, gate);
}

}  // namespace hawkgraph::sac
