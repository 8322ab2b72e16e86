// Book -> layer-1 input on the device: reads a tile's input records (levels, distances, sizes),
// forms the node features (gnn_cuda_math.hpp, as core/features.hpp defines them) and their
// neighbour means, giving the [agg(x) | x] rows of the first SAGE layer.
#pragma once

#include "gnn_tile.cuh"
#include "sage_layer.cuh"

namespace hawkgraph::cuda::dev {

// Ends with the block synchronised and s.levels / s.a ready. `nb` books are real, the rest of
// the tile is padding (levels 0).
template <typename T, bool kGlobal>
__device__ void load_tile_books(const KernelLayout& k, const TileSmem<T>& s, const float* in, int in_stride, int nb) {
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, warps = blockDim.x >> 5;
  const int L = k.nodes / 2;
  if (tid < k.tile_books) {
    int n = 0;
    if (tid < nb) n = __float_as_int(load_input<kGlobal>(in + static_cast<size_t>(tid) * in_stride));
    s.levels[tid] = n < 0 ? 0 : (n > L ? L : n);
  }
  const int cols = k.k1;
  for (int i = tid; i < k.tile_rows * cols; i += blockDim.x) s.a[(i / cols) * k.act_ld + i % cols] = from_float<T>(0.0f);
  __syncthreads();
  for (int b = warp; b < k.tile_books; b += warps) {
    const int n = s.levels[b];
    const float* raw = in + static_cast<size_t>(b) * in_stride + StagingLayout::kRawOffset;
    float bid = 0.0f, ask = 0.0f;
    for (int i = lane; i < n; i += 32) {
      bid += load_input<kGlobal>(raw + 6 * i + 1);
      ask += load_input<kGlobal>(raw + 6 * i + 4);
    }
    bid = warp_sum(bid);
    ask = warp_sum(ask);
    if (lane == 0) {
      s.totals[2 * b] = bid + 1e-8f;
      s.totals[2 * b + 1] = ask + 1e-8f;
    }
  }
  __syncthreads();
  for (int i = tid; i < k.tile_books * k.nodes; i += blockDim.x) {
    const int b = i / k.nodes, node = i % k.nodes, n = s.levels[b];
    if (node >= 2 * n) continue;
    const float* raw = in + static_cast<size_t>(b) * in_stride + StagingLayout::kRawOffset + 3 * node;
    float f8[8];
    math::node_features(node, n, load_input<kGlobal>(raw), load_input<kGlobal>(raw + 1), load_input<kGlobal>(raw + 2),
                        s.totals[2 * b + (node & 1)], f8);
    T* row = s.a + static_cast<size_t>(i) * k.act_ld + k.features;
#pragma unroll
    for (int c = 0; c < 8; ++c) {
      if (c < k.features) row[c] = from_float<T>(f8[c]);
    }
  }
  __syncthreads();
  sage_aggregate(k, s, s.a, k.features);
  __syncthreads();
}

}  // namespace hawkgraph::cuda::dev
