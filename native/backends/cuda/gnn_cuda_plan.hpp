// The CUDA backend's host-side plan, in plain C++ (no CUDA headers) so that every build compiles it
// and the GPU-less tests exercise it: batch-size buckets and chunking, the staging record layouts
// (what crosses PCIe per book), the kernel's shared-memory layout, and the weights packed and
// folded into the kernel's order. Nothing here touches a device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../../core/book.hpp"
#include "../../core/gnn_model.hpp"

namespace hawkgraph::cuda {

enum class Precision { Fp16, Fp32 };

// Batch-size buckets, one captured graph each; a batch pads up to its bucket. Geometric by 8, so a
// batch never moves more than 8x its own bytes, and 16384 books (about 5 MiB in) is the most one
// graph replay handles: larger batches run as several replays.
constexpr int kBuckets[] = {1, 8, 64, 512, 4096, 16384};
constexpr int kBucketCount = 6;
constexpr int kLargestBucket = 16384;

// Index into kBuckets of the smallest bucket holding `count` books (1 <= count <= kLargestBucket).
int bucket_index(int count);

// A larger batch runs as runs of kLargestBucket books, then the remainder in its own bucket: the
// backend takes kLargestBucket books per run (StagedBackend::prepare_batch) and the engine splits.

// Per-book records staged in pinned host memory and mirrored on the device. One record per book,
// records back to back, so a bucket of b books is one contiguous copy of b * stride floats.
//   input:  [0] levels used (int32 bits; 0 marks a padding slot the kernel skips), [1..3] zero,
//           then per node (bid0, ask0, bid1, ...) from [4 + 3 * node]: |price - mid| / mid, size,
//           order flow (0 unless the streaming path supplies it)
//   output: [0..2] logits, [3] magnitude, [4] volatility, [5..7] zero, [8..8+E) the embedding.
struct StagingLayout {
  int nodes = 0;
  int embed = 0;
  int input_stride = 0;   // floats per input record (a multiple of 4: 16-byte aligned records)
  int output_stride = 0;  // floats per output record (a multiple of 4)
  static constexpr int kRawOffset = 4;
  static constexpr int kEmbeddingOffset = 8;
  size_t input_bytes(int books) const { return sizeof(float) * static_cast<size_t>(input_stride) * books; }
  size_t output_bytes(int books) const { return sizeof(float) * static_cast<size_t>(output_stride) * books; }
};

StagingLayout staging_layout(const GnnModel& m);

// Writes one validated book's input record; returns the levels used. Distances are formed in
// float64 here (mid - price loses digits in float32), everything else is left to the device.
int stage_book(const StagingLayout& s, const BookView& book, int model_levels, const double* order_flow, float* record);

// Marks records [from, to) as padding (levels 0).
void stage_padding(const StagingLayout& s, float* records, int from, int to);

// Where everything lives in one thread block's shared memory, and the offsets of the packed weight
// and parameter blobs. Passed to the kernels by value.
struct KernelLayout {
  int precision = 0;  // 0 fp16 (tensor cores, weights in shared memory), 1 fp32 (CUDA cores)
  int nodes = 0, features = 0, k1 = 0, hidden = 0, embed = 0, heads = 0, head_dim = 0;
  int pooled = 1;
  int tile_books = 1, tile_rows = 16;  // books per tile, their 2L rows each, padded to 16
  int act_ld = 0;                      // elements per activation row (2H plus bank padding)
  int threads = 256;                   // 512 on the fp16 path (see plan_kernel)
  int edges = 0;
  int max_in_degree = 0;  // <= 4: neighbours come from a per-node int4 table instead of the CSR walk
  // Packed weights ([K, N] row-major, row stride ld_*) in the kernel's element type.
  int ld_w1 = 0, ld_w2 = 0, ld_w3 = 0, ld_qkv = 0;
  int64_t w1 = 0, w2 = 0, w3 = 0, wqkv = 0, weight_elems = 0;  // w3: conv3, or the pooled fold
  // fp32 parameters: biases, LayerNorm, heads [5, E] and their biases (the first `wout` floats,
  // copied into shared memory), then out_proj [E, E] as [K, N] (read from global memory).
  int64_t b1 = 0, b2 = 0, b3 = 0, bqkv = 0, bout = 0, norm_w = 0, norm_b = 0, heads_w = 0, heads_b = 0,
          wout = 0, param_floats = 0;
  // Shared-memory byte offsets.
  int64_t sm_weights = 0, sm_act_a = 0, sm_act_b = 0, sm_stage = 0, sm_vec = 0, sm_scores = 0, sm_partial = 0,
          sm_offsets = 0, sm_sources = 0, sm_totals = 0, sm_record = 0, sm_params = 0,
          sm_neighbors = 0, sm_bytes = 0;
};

// Plans the kernel for `m` with at most `max_tile_books` books per tile and `smem_limit` bytes of
// shared memory per block. Throws hawkgraph::Error(ERR_BACKEND_UNAVAILABLE) naming the reason when
// the model cannot run on these kernels (a size the tensor-core tiles do not divide, too large).
KernelLayout plan_kernel(const GnnModel& m, Precision precision, int max_tile_books, size_t smem_limit);

// The model's weights in the kernels' order, in float32 (the backend converts to fp16 for the
// tensor-core path). Folds (computed in float64):
//   - pooled mode: conv3 has no activation and the sequence has length 1, so mean_nodes(conv3),
//     v_proj and out_proj compose into one [2H, E] map of the column means of [agg(h2) | h2];
//   - SAGE: lin_l and lin_r stacked into one [2 * in, out] map of [agg(x) | x].
struct PackedWeights {
  std::vector<float> weights;  // weight_elems, padded rows (ld_*) zero-filled
  std::vector<float> params;   // param_floats
  std::vector<int32_t> offsets, sources;  // topology (incoming edges, sources ascending)
};

PackedWeights pack_weights(const GnnModel& m, const KernelLayout& k);

}  // namespace hawkgraph::cuda
