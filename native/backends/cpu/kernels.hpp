// The CPU kernel families behind one table per instruction set. Each table lives in its own
// translation unit compiled with that set's target flags (kernels_avx512.cpp, kernels_avx2.cpp,
// kernels_portable.cpp); the rest of the library is compiled for baseline x86-64 (or arm64) and
// reaches wider instructions only through a table chosen once, from cpuid, when a backend is made.
// Depends on nothing but the standard library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hawkgraph::cpu {

enum class WeightFormat { F32, F16, BF16 };

// A dense map y = act(W1 a1 + W2 a2 + b), the two inputs concatenated along k (GraphSAGE's
// neighbour mean and the node itself; the pooled fold's two column sums). Weights are packed at
// load into column panels of `panel` outputs: panel p holds, for every k, its `panel` weights
// contiguously (F32/F16: [k][panel]), so a tile of rows streams one panel from L1 while the
// outputs stay in registers. BF16 packs k in pairs ([k/2][panel][2]; each input's k rounded up to
// even, padding zero), the operand layout of AVX-512 BF16's pairwise dot product.
struct PackedDense {
  int k1 = 0, k2 = 0, out = 0;
  int panel = 0;            // outputs per panel (2 SIMD vectors of the target ISA)
  int panels = 0;           // ceil(out / panel)
  WeightFormat format = WeightFormat::F32;
  std::vector<uint16_t> half;  // F16 / BF16 weights
  std::vector<float> full;     // F32 weights
  std::vector<float> bias;     // [panels * panel], zero padded
  size_t panel_stride = 0;     // elements (floats or halves) per panel
  // F32 layers on AMX: the weights split as w = hi + lo, both bf16 in the BF16 pair layout
  // (split_stride halves per panel). hi*x_hi + hi*x_lo + lo*x_hi keeps fp32 accuracy (the dropped
  // lo*lo term is ~2^-18 of the product) at three tile products instead of sixteen FMA passes.
  std::vector<uint16_t> split_hi, split_lo;
  size_t split_stride = 0;
};

// Fills split_hi / split_lo of an F32 layer (same arguments as pack_dense).
void pack_split_bf16(PackedDense& p, const float* w1, int k1, const float* w2, int k2);

// W1: [out, k1], W2: [out, k2] in PyTorch layout (row o holds output o's weights); W2 may be null.
PackedDense pack_dense(const float* w1, int k1, const float* w2, int k2, const float* bias, int out,
                       int panel, WeightFormat format);

struct DenseArgs {
  int rows = 0;
  const float* a1 = nullptr;  // [rows, k1], row stride lda1
  size_t lda1 = 0;
  const float* a2 = nullptr;  // [rows, k2], row stride lda2 (unused when k2 == 0)
  size_t lda2 = 0;
  const PackedDense* w = nullptr;
  bool relu = false;
  float* y = nullptr;  // [rows, out], row stride ldy
  size_t ldy = 0;
  uint32_t* scratch = nullptr;  // >= dense_scratch_words(w, rows), for operand conversion
};

// Rows are rounded up to 32: the AMX path reads whole 2 x 16-row tiles; twice that for the hi and
// lo halves of split fp32 operands.
inline size_t dense_scratch_words(const PackedDense& w, int rows) {
  const size_t padded = static_cast<size_t>((rows + 31) / 32 * 32);
  return 2 * padded * static_cast<size_t>((w.k1 + 1) / 2 + (w.k2 + 1) / 2);
}

using DenseFn = void (*)(const DenseArgs&);

// The AMX BF16 dense map (kernels_amx.cpp): nullptr unless the CPU has AMX-BF16 and the OS grants
// the tile state; amx_fits says whether a packed layer has the shapes it takes.
DenseFn amx_bf16_dense();
bool amx_fits(const PackedDense& w);
// The split-fp32 AMX dense map for F32 layers that carry split_hi / split_lo.
DenseFn amx_split_dense();
double amx_peak_gflops(double seconds);

// Multi-head attention core over n tokens for one head's q, k ([n, ldq] rows, head dim d): the
// mean over queries of softmax(q k^T * scale), as weights over the keys (sums to 1).
// `kt` holds d * n floats, `scores` n floats (scratch). Accumulates into `key_weight` [n].
struct AttentionArgs {
  int n = 0, d = 0;
  const float* q = nullptr;
  const float* k = nullptr;
  size_t ld = 0;
  float scale = 1.0f;
  float* kt = nullptr;
  float* scores = nullptr;
  float* key_weight = nullptr;
};

// Per-query attention for the unfused path: out_i = sum_j softmax_j(q_i . k_j * scale) v_j
// for every query i (head slice of d columns, all rows stride ld; out stride ldo).
struct AttentionRowsArgs {
  int n = 0, d = 0;
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  size_t ld = 0;
  float scale = 1.0f;
  float* kt = nullptr;
  float* scores = nullptr;
  float* out = nullptr;
  size_t ldo = 0;
};

struct CpuKernels {
  const char* name;  // "amx", "avx512", "avx2", "portable"
  int panel;         // outputs per dense panel
  bool native_bf16;  // BF16 weights use hardware dot products (operands rounded to bf16)
  bool split_fp32;   // large F32 layers run as split bf16 on AMX (pack_split_bf16 them)
  void (*dense)(const DenseArgs&);
  // agg[i] = mean of x[j] over in-neighbours j < nodes of node i (0 when it has none).
  void (*mean_aggregate)(const int32_t* offsets, const int32_t* sources, int nodes, const float* x,
                         int width, float* agg);
  // out[c] = sum_i weight[i] * x[i, c] over `rows` rows of `width` floats.
  void (*weighted_column_sum)(const float* x, int rows, int width, const float* weight, float* out);
  void (*attention_key_weights)(const AttentionArgs&);
  void (*attention_rows)(const AttentionRowsArgs&);
  // Sustained fp32 (and, where the table has it, bf16 dot-product) FLOP/s of this ISA on one
  // thread, from independent FMA chains that stay in registers for about `seconds`.
  double (*peak_gflops)(double seconds, bool bf16);
  // c = a b in double, row-major a [rows, inner], b [inner, cols], c [rows, cols] (written, not
  // accumulated): folding weight matrices when a model is loaded, which a swap does while the
  // stream runs. Each output sums over k in order (with FMA where the table's ISA has it).
  void (*fold_product)(const double* a, const double* b, double* c, int rows, int inner, int cols);
};

// Tables compiled into this binary; on non-x86 only the portable one exists. Each returns
// nullptr when the running CPU lacks what it needs.
const CpuKernels* portable_kernels();
const CpuKernels* avx2_kernels();
const CpuKernels* avx512_kernels();
const CpuKernels* amx_kernels();

// The table to use: `requested` is "auto" (or empty: then $HAWKGRAPH_CPU_KERNELS, else the
// widest this CPU runs), or "amx" / "avx512" / "avx2" / "portable". Throws hawkgraph::Error:
// ERR_INVALID_OPTION for an unknown name, ERR_BACKEND_UNAVAILABLE when this CPU cannot run it.
const CpuKernels& select_kernels(const std::string& requested);

// Names of every table this CPU can run, widest first.
std::vector<std::string> available_kernels();

}  // namespace hawkgraph::cpu
