// Attention on the device, both modes, leaving each book's attention output `a` [E] in vec.
//   pooled: the sequence has length 1, so softmax is 1 and mean_nodes(conv3) -> v_proj ->
//           out_proj is one affine map (folded on the host, gnn_cuda_plan.cpp) of the column
//           means of [agg(h2) | h2]: conv3 never runs per node.
//   levels: conv3 and the q/k/v projection on tensor cores (sage_linear), then warps split the
//           (book, head) pairs and their queries: scores, softmax and the weighted values are
//           summed per warp and reduced in a fixed order (deterministic); out_proj is affine, so it
//           runs once on the head mean.
// The small affine maps split K over several lanes per output (as many as the block has threads
// to spare, 4 to 32), so a single book's latency is not one thread walking K.
#pragma once

#include "gnn_tile.cuh"
#include "sage_layer.cuh"

namespace hawkgraph::cuda::dev {

// out[b * out_stride + o] = bias[o] + sum_c v[b * v_stride + c] * weight(c, o), for the tile's
// live books; `split` consecutive lanes (a power of two, 4..32) share one output. N is a multiple
// of 16, so tile_books * N * split is whole warps and every lane reaches the shuffles.
template <typename Weight>
__device__ void affine_split(const KernelLayout& k, const int* levels, const float* v, int v_stride, int K, int N,
                             const float* bias, Weight weight, float* out, int out_stride) {
  int split = 4;
  while (split < 32 && k.tile_books * N * split * 2 <= static_cast<int>(blockDim.x)) split *= 2;
  const int items = k.tile_books * N * split;
  for (int i = threadIdx.x; i < items; i += blockDim.x) {
    const int q = i & (split - 1), o = (i / split) % N, b = (i / split) / N;
    float acc = 0.0f;
    if (levels[b] > 0) {
      const float* vb = v + b * v_stride;
#pragma unroll 4
      for (int c = q; c < K; c += split) acc = fmaf(vb[c], weight(c, o), acc);
    }
    for (int m = 1; m < split; m <<= 1) acc += __shfl_xor_sync(0xffffffffu, acc, m);
    if (q == 0 && levels[b] > 0) out[b * out_stride + o] = acc + bias[o];
  }
}

template <typename T>
__device__ void pooled_attention(const KernelLayout& k, const TileSmem<T>& s) {
  const int H2 = 2 * k.hidden, E = k.embed, vs = H2 + E;
  for (int i = threadIdx.x; i < k.tile_books * H2; i += blockDim.x) {
    const int b = i / H2, c = i % H2, nn = 2 * s.levels[b];
    if (nn == 0) continue;
    const T* col = s.a + static_cast<size_t>(b) * k.nodes * k.act_ld + c;
    float sum0 = 0.0f, sum1 = 0.0f;
    int r = 0;
    for (; r + 1 < nn; r += 2) {
      sum0 += to_float(col[static_cast<size_t>(r) * k.act_ld]);
      sum1 += to_float(col[static_cast<size_t>(r + 1) * k.act_ld]);
    }
    if (r < nn) sum0 += to_float(col[static_cast<size_t>(r) * k.act_ld]);
    s.vec[b * vs + c] = (sum0 + sum1) / static_cast<float>(nn);
  }
  __syncthreads();
  const T* w = s.w + k.w3;
  const int ld = k.ld_w3;
  affine_split(k, s.levels, s.vec, vs, H2, E, s.par + k.b3,
                [w, ld](int c, int o) { return to_float(w[static_cast<size_t>(c) * ld + o]); }, s.vec + H2, vs);
}

template <typename T>
__device__ void levels_attention(const KernelLayout& k, const TileSmem<T>& s, const float* params) {
  // `params`: the global blob, for out_proj; the biases come from shared memory (s.par).
  const int H2 = 2 * k.hidden, E = k.embed, vs = H2 + E, d = k.head_dim;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  // conv3 (no activation) into b[:, 0:E], then q | k | v into a[:, 0:3E].
  sage_linear<false>(k, s, s.a, H2, s.w + k.w3, k.ld_w3, s.par + k.b3, E, s.b);
  __syncthreads();
  sage_linear<false>(k, s, s.b, E, s.w + k.wqkv, k.ld_qkv, s.par + k.bqkv, 3 * E, s.a);
  __syncthreads();
  const float scale = math::attention_scale(d);
  float* scores = s.scores + warp * k.nodes;
  // Worker r of a (book, head) pair takes queries r, r + R, ...; its sums land in partial[r].
  const int pairs = k.tile_books * k.heads;
  const int R = warps >= pairs ? warps / pairs : 1;
  const int TE = k.tile_books * E;
  for (int task = warp; task < pairs * R; task += warps) {
    const int p = task % pairs, r = task / pairs;
    const int b = p / k.heads, h = p % k.heads, nn = 2 * s.levels[b];
    const T* rows = s.a + static_cast<size_t>(b) * k.nodes * k.act_ld;
    float acc = 0.0f;
    for (int i = r; i < nn; i += R) {
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
    if (lane < d) s.partial[r * TE + b * E + h * d + lane] = acc;
  }
  __syncthreads();
  for (int i = threadIdx.x; i < TE; i += blockDim.x) {
    const int b = i / E, c = i % E;
    float sum = 0.0f;
    for (int r = 0; r < R; ++r) sum += s.partial[r * TE + i];
    s.vec[b * vs + c] = sum;
  }
  __syncthreads();
  const float* wout = params + k.wout;
  affine_split(k, s.levels, s.vec, vs, E, E, s.par + k.bout,
                [wout, E](int c, int o) { return __ldg(wout + static_cast<size_t>(c) * E + o); }, s.vec + H2, vs);
}

}  // namespace hawkgraph::cuda::dev
