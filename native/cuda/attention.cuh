// Attention on the device, both modes, leaving each book's attention output `a` [E] in vec.
//   pooled: the sequence has length 1, so softmax is 1 and mean_nodes(conv3) -> v_proj ->
//           out_proj is one affine map (folded on the host, gnn_cuda_plan.cpp) of the column
//           means of [agg(h2) | h2]: conv3 never runs per node.
//   levels: conv3 and the q/k/v projection on tensor cores (sage_linear), then one warp per
//           (book, head) walks the queries: scores, softmax and the weighted values, summed into
//           the head mean; out_proj is affine, so it runs once on the mean.
#pragma once

#include "gnn_tile.cuh"
#include "sage_layer.cuh"

namespace hawkgraph::cuda::dev {

template <typename T>
__device__ void pooled_attention(const KernelLayout& k, const TileSmem<T>& s, const float* params) {
  const int H2 = 2 * k.hidden, E = k.embed, vs = H2 + E;
  for (int i = threadIdx.x; i < k.tile_books * H2; i += blockDim.x) {
    const int b = i / H2, c = i % H2, nn = 2 * s.levels[b];
    if (nn == 0) continue;
    const T* col = s.a + static_cast<size_t>(b) * k.nodes * k.act_ld + c;
    float sum = 0.0f;
    for (int r = 0; r < nn; ++r) sum += to_float(col[static_cast<size_t>(r) * k.act_ld]);
    s.vec[b * vs + c] = sum / static_cast<float>(nn);
  }
  __syncthreads();
  for (int i = threadIdx.x; i < k.tile_books * E; i += blockDim.x) {
    const int b = i / E, o = i % E;
    if (s.levels[b] == 0) continue;
    const float* v = s.vec + b * vs;
    const T* w = s.w + k.w3 + o;
    float acc = __ldg(params + k.b3 + o);
    for (int c = 0; c < H2; ++c) acc = fmaf(v[c], to_float(w[static_cast<size_t>(c) * k.ld_w3]), acc);
    s.vec[b * vs + H2 + o] = acc;
  }
}

template <typename T>
__device__ void levels_attention(const KernelLayout& k, const TileSmem<T>& s, const float* params) {
  const int H2 = 2 * k.hidden, E = k.embed, vs = H2 + E, d = k.head_dim;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  // conv3 (no activation) into b[:, 0:E], then q | k | v into a[:, 0:3E].
  sage_linear<false>(k, s, s.a, H2, s.w + k.w3, k.ld_w3, params + k.b3, E, s.b);
  __syncthreads();
  sage_linear<false>(k, s, s.b, E, s.w + k.wqkv, k.ld_qkv, params + k.bqkv, 3 * E, s.a);
  __syncthreads();
  const float scale = math::attention_scale(d);
  float* scores = s.scores + warp * k.nodes;
  for (int p = warp; p < k.tile_books * k.heads; p += warps) {
    const int b = p / k.heads, h = p % k.heads, nn = 2 * s.levels[b];
    if (nn == 0) continue;
    const T* rows = s.a + static_cast<size_t>(b) * k.nodes * k.act_ld;
    float acc = 0.0f;
    for (int i = 0; i < nn; ++i) {
      const T* q = rows + static_cast<size_t>(i) * k.act_ld + h * d;
      float top = -INFINITY;
      for (int j = lane; j < nn; j += 32) {
        const T* key = rows + static_cast<size_t>(j) * k.act_ld + E + h * d;
        float dot = 0.0f;
        for (int c = 0; c < d; ++c) dot = fmaf(to_float(q[c]), to_float(key[c]), dot);
        scores[j] = dot * scale;
        top = fmaxf(top, scores[j]);
      }
      top = warp_max(top);
      float total = 0.0f;
      for (int j = lane; j < nn; j += 32) {
        const float e = expf(scores[j] - top);
        scores[j] = e;
        total += e;
      }
      total = warp_sum(total);
      __syncwarp();
      if (lane < d) {
        float o = 0.0f;
        for (int j = 0; j < nn; ++j) o = fmaf(scores[j], to_float(rows[static_cast<size_t>(j) * k.act_ld + 2 * E + h * d + lane]), o);
        acc += o * (1.0f / (total * static_cast<float>(nn)));
      }
      __syncwarp();
    }
    if (lane < d) s.vec[b * vs + h * d + lane] = acc;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < k.tile_books * E; i += blockDim.x) {
    const int b = i / E, o = i % E;
    if (s.levels[b] == 0) continue;
    const float* hm = s.vec + b * vs;
    float acc = __ldg(params + k.bout + o);
    for (int c = 0; c < E; ++c) acc = fmaf(hm[c], __ldg(params + k.wout + static_cast<size_t>(c) * E + o), acc);
    s.vec[b * vs + H2 + o] = acc;
  }
}

}  // namespace hawkgraph::cuda::dev
