// The GraphSAGE layer on the device: the neighbour mean over the model's topology (incoming
// edges, sources ascending, restricted to each book's 2n nodes) into the left half of a row, and
// [agg(x) | x] W + b with W = [lin_l; lin_r] stacked, then optional ReLU. The fp16 path runs the
// map on tensor cores (wmma 16x16x16, fp32 accumulation) with bias and ReLU applied in a per-warp
// epilogue; the fp32 path on CUDA cores, four rows per thread so each weight load feeds four FMAs.
#pragma once

#include <mma.h>

#include "gnn_tile.cuh"

namespace hawkgraph::cuda::dev {

// act[row][c] = mean over in-neighbours j of act[j][width + c], for c < width.
template <typename T>
__device__ void sage_aggregate(const KernelLayout& k, const TileSmem<T>& s, T* act, int width) {
  const int pairs = width / 2;
  const int items = k.tile_books * k.nodes * pairs;
  for (int i = threadIdx.x; i < items; i += blockDim.x) {
    const int row = i / pairs, c = (i % pairs) * 2;
    const int b = row / k.nodes, node = row % k.nodes, nn = 2 * s.levels[b];
    if (node >= nn) continue;
    const T* base = act + static_cast<size_t>(b) * k.nodes * k.act_ld + width + c;
    float2 sum = make_float2(0.0f, 0.0f);
    int degree = 0;
    if (k.max_in_degree <= 4) {
      // One 16-byte read gives every neighbour; sources ascend, so the first j >= nn ends the list.
      const int4 nb = s.neighbors[node];
      const int js[4] = {nb.x, nb.y, nb.z, nb.w};
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        if (js[q] < nn) {
          const float2 v = load2(base + static_cast<size_t>(js[q]) * k.act_ld);
          sum.x += v.x;
          sum.y += v.y;
          ++degree;
        }
      }
    } else {
      for (int e = s.offsets[node]; e < s.offsets[node + 1]; ++e) {
        const int j = s.sources[e];
        if (j >= nn) break;
        const float2 v = load2(base + static_cast<size_t>(j) * k.act_ld);
        sum.x += v.x;
        sum.y += v.y;
        ++degree;
      }
    }
    const float scale = math::mean_scale(degree);
    store2(act + static_cast<size_t>(row) * k.act_ld + c, make_float2(sum.x * scale, sum.y * scale));
  }
}

// D[rows, N] = A[rows, K] W[K, N] + bias, optional ReLU; fp16 on tensor cores.
template <bool kRelu>
__device__ void sage_linear(const KernelLayout& k, const TileSmem<__half>& s, const __half* A, int K, const __half* W,
                            int ldw, const float* bias, int N, __half* D) {
  using namespace nvcuda;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  // A task is one 16-column tile of W against two 16-row tiles of A: each B fragment loaded
  // from shared memory feeds two MMAs, and there are half as many tasks to spread over the warps.
  const int col_tiles = N / 16, row_tiles = k.tile_rows / 16, row_pairs = (row_tiles + 1) / 2;
  const int tasks = row_pairs * col_tiles;
  float* stage = s.stage + warp * 256;
  for (int t = warp; t < tasks; t += warps) {
    const int rt = (t / col_tiles) * 2, ct = t % col_tiles;
    const bool two = rt + 1 < row_tiles;  // the same for the whole warp
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc0, acc1;
    wmma::fill_fragment(acc0, 0.0f);
    wmma::fill_fragment(acc1, 0.0f);
    const __half* a0 = A + static_cast<size_t>(rt) * 16 * k.act_ld;
    const __half* a1 = a0 + static_cast<size_t>(16) * k.act_ld;
#pragma unroll 4
    for (int k0 = 0; k0 < K; k0 += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa0, fa1;
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> fb;
      wmma::load_matrix_sync(fb, W + static_cast<size_t>(k0) * ldw + ct * 16, ldw);
      wmma::load_matrix_sync(fa0, a0 + k0, k.act_ld);
      wmma::mma_sync(acc0, fa0, fb, acc0);
      if (two) {
        wmma::load_matrix_sync(fa1, a1 + k0, k.act_ld);
        wmma::mma_sync(acc1, fa1, fb, acc1);
      }
    }
    // Each lane finishes 8 consecutive outputs of one row: one 16-byte store.
    const int r = lane >> 1, c0 = (lane & 1) * 8;
    auto finish = [&](const wmma::fragment<wmma::accumulator, 16, 16, 16, float>& acc, int row_tile) {
      wmma::store_matrix_sync(stage, acc, 16, wmma::mem_row_major);
      __syncwarp();
      alignas(16) __half out[8];
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        float v = stage[r * 16 + c0 + j] + bias[ct * 16 + c0 + j];
        if (kRelu) v = math::relu(v);
        out[j] = __float2half_rn(v);
      }
      *reinterpret_cast<uint4*>(D + static_cast<size_t>(row_tile * 16 + r) * k.act_ld + ct * 16 + c0) =
          *reinterpret_cast<const uint4*>(out);
      __syncwarp();
    };
    finish(acc0, rt);
    if (two) finish(acc1, rt + 1);
  }
}

// The same map in fp32 on CUDA cores; W is in global memory.
template <bool kRelu>
__device__ void sage_linear(const KernelLayout& k, const TileSmem<float>& s, const float* A, int K, const float* W,
                            int ldw, const float* bias, int N, float* D) {
  (void)s;
  const int groups = k.tile_rows / 4;
  for (int i = threadIdx.x; i < groups * N; i += blockDim.x) {
    const int c = i % N, r0 = (i / N) * 4;
    const float* a = A + static_cast<size_t>(r0) * k.act_ld;
    float acc0 = 0.0f, acc1 = 0.0f, acc2 = 0.0f, acc3 = 0.0f;
#pragma unroll 4
    for (int kk = 0; kk < K; ++kk) {
      const float w = __ldg(W + static_cast<size_t>(kk) * ldw + c);
      acc0 = fmaf(a[kk], w, acc0);
      acc1 = fmaf(a[k.act_ld + kk], w, acc1);
      acc2 = fmaf(a[2 * k.act_ld + kk], w, acc2);
      acc3 = fmaf(a[3 * k.act_ld + kk], w, acc3);
    }
    const float b = bias[c];
    float v[4] = {acc0 + b, acc1 + b, acc2 + b, acc3 + b};
#pragma unroll
    for (int q = 0; q < 4; ++q) D[static_cast<size_t>(r0 + q) * k.act_ld + c] = kRelu ? math::relu(v[q]) : v[q];
  }
}

}  // namespace hawkgraph::cuda::dev
