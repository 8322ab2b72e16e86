// The fused epilogue: LayerNorm (eps 1e-5) of each book's attention output and the three heads
// (direction logits, sigmoid magnitude, relu volatility), one warp per book, written straight into
// the book's output record (device memory, or mapped host memory for the persistent kernel).
#pragma once

#include "gnn_tile.cuh"

namespace hawkgraph::cuda::dev {

template <typename T>
__device__ void readout(const KernelLayout& k, const TileSmem<T>& s, float* out, int out_stride) {
  const float* par = s.par;
  const int E = k.embed, vs = 2 * k.hidden + E;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int b = warp; b < k.tile_books; b += warps) {
    if (s.levels[b] == 0) continue;
    const float* a = s.vec + b * vs + 2 * k.hidden;
    float sum = 0.0f;
    for (int c = lane; c < E; c += 32) sum += a[c];
    const float mean = warp_sum(sum) / static_cast<float>(E);
    float sq = 0.0f;
    for (int c = lane; c < E; c += 32) sq += (a[c] - mean) * (a[c] - mean);
    const float inv_std = math::layer_norm_inv_std(warp_sum(sq) / static_cast<float>(E));
    float* o = out + static_cast<size_t>(b) * out_stride;
    float head[5] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    for (int c = lane; c < E; c += 32) {
      const float z = math::layer_norm_value(a[c], mean, inv_std, par[k.norm_w + c], par[k.norm_b + c]);
      o[StagingLayout::kEmbeddingOffset + c] = z;
#pragma unroll
      for (int h = 0; h < 5; ++h) head[h] = fmaf(par[k.heads_w + h * E + c], z, head[h]);
    }
#pragma unroll
    for (int h = 0; h < 5; ++h) head[h] = warp_sum(head[h]) + par[k.heads_b + h];
    if (lane == 0) {
      o[0] = head[0];
      o[1] = head[1];
      o[2] = head[2];
      o[3] = math::sigmoid(head[3]);
      o[4] = math::relu(head[4]);
      o[5] = o[6] = o[7] = 0.0f;
    }
  }
}

}  // namespace hawkgraph::cuda::dev
