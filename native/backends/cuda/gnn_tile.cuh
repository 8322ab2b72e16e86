// What every GNN kernel stage shares: the element types (fp16 for the tensor-core path, fp32 for
// the precise one), their conversions, warp reductions, and the carving of one block's shared
// memory by KernelLayout. Device code only; included by the kernels' .cu files.
#pragma once

#include <cuda_fp16.h>

#include "gnn_cuda_math.hpp"
#include "gnn_cuda_plan.hpp"

namespace hawkgraph::cuda::dev {

__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(float v) { return v; }
template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ float from_float<float>(float v) { return v; }

__device__ __forceinline__ float2 load2(const __half* p) { return __half22float2(*reinterpret_cast<const __half2*>(p)); }
__device__ __forceinline__ float2 load2(const float* p) { return *reinterpret_cast<const float2*>(p); }
__device__ __forceinline__ void store2(__half* p, float2 v) { *reinterpret_cast<__half2*>(p) = __float22half2_rn(v); }
__device__ __forceinline__ void store2(float* p, float2 v) { *reinterpret_cast<float2*>(p) = v; }

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Input records: the batch kernel reads device memory written by a copy before the launch,
// through the read-only cache; the persistent kernel reads its request from shared memory, where
// it copied it out of mapped host memory (see gnn_persistent_kernel).
template <bool kGlobal>
__device__ __forceinline__ float load_input(const float* p) {
  if constexpr (kGlobal) {
    return __ldg(p);
  } else {
    return *p;
  }
}

// One block's shared memory, carved by KernelLayout. `w` is the packed weight blob: in shared
// memory for fp16, in global memory (L1/L2) for fp32, whose weights do not fit beside a tile.
template <typename T>
struct TileSmem {
  const T* w;
  T* a;
  T* b;
  float* stage;   // per warp, 16 x 16 accumulators (fp16 path)
  float* vec;     // per book: [2H] column means or head means, then [E] the attention output
  float* scores;  // per warp, one row of attention scores
  float* partial; // levels attention: per worker, partial head sums [tile_books * E]
  int* offsets;
  int* sources;
  float* totals;  // per book: bid and ask size totals (+1e-8)
  int* levels;    // per book: levels used, 0 for padding
  const float* par;      // the small parameters (biases, LayerNorm, heads): KernelLayout offsets
  const int4* neighbors; // per node, its in-neighbours ascending, padded with INT_MAX (max_in_degree <= 4)
};

template <typename T>
__device__ TileSmem<T> carve(const KernelLayout& k, unsigned char* smem, const T* weights_global) {
  TileSmem<T> s;
  s.w = k.precision == 0 ? reinterpret_cast<const T*>(smem + k.sm_weights) : weights_global;
  s.a = reinterpret_cast<T*>(smem + k.sm_act_a);
  s.b = reinterpret_cast<T*>(smem + k.sm_act_b);
  s.stage = reinterpret_cast<float*>(smem + k.sm_stage);
  s.vec = reinterpret_cast<float*>(smem + k.sm_vec);
  s.scores = reinterpret_cast<float*>(smem + k.sm_scores);
  s.partial = reinterpret_cast<float*>(smem + k.sm_partial);
  s.offsets = reinterpret_cast<int*>(smem + k.sm_offsets);
  s.sources = reinterpret_cast<int*>(smem + k.sm_sources);
  s.totals = reinterpret_cast<float*>(smem + k.sm_totals);
  s.levels = reinterpret_cast<int*>(s.totals + 2 * k.tile_books);
  s.par = reinterpret_cast<const float*>(smem + k.sm_params);
  s.neighbors = reinterpret_cast<const int4*>(smem + k.sm_neighbors);
  return s;
}

// Copies the weights (fp16 path), the small parameters and the topology into shared memory once
// per block.
template <typename T>
__device__ void load_block_constants(const KernelLayout& k, unsigned char* smem, const T* weights_global,
                                     const float* params, const int* offsets, const int* sources) {
  if (k.precision == 0) {
    const uint4* src = reinterpret_cast<const uint4*>(weights_global);
    uint4* dst = reinterpret_cast<uint4*>(smem + k.sm_weights);
    const int vectors = static_cast<int>(k.weight_elems * sizeof(T) / sizeof(uint4));
    for (int i = threadIdx.x; i < vectors; i += blockDim.x) dst[i] = __ldg(src + i);
  }
  int* so = reinterpret_cast<int*>(smem + k.sm_offsets);
  int* ss = reinterpret_cast<int*>(smem + k.sm_sources);
  for (int i = threadIdx.x; i <= k.nodes; i += blockDim.x) so[i] = __ldg(offsets + i);
  for (int i = threadIdx.x; i < k.edges; i += blockDim.x) ss[i] = __ldg(sources + i);
  float* sp = reinterpret_cast<float*>(smem + k.sm_params);
  for (int i = threadIdx.x; i < k.wout; i += blockDim.x) sp[i] = __ldg(params + i);
  if (k.max_in_degree <= 4) {
    int4* table = reinterpret_cast<int4*>(smem + k.sm_neighbors);
    for (int i = threadIdx.x; i < k.nodes; i += blockDim.x) {
      const int first = __ldg(offsets + i), count = __ldg(offsets + i + 1) - first;
      const int none = 0x7fffffff;
      table[i] = make_int4(count > 0 ? __ldg(sources + first) : none, count > 1 ? __ldg(sources + first + 1) : none,
                           count > 2 ? __ldg(sources + first + 2) : none, count > 3 ? __ldg(sources + first + 3) : none);
    }
  }
}

}  // namespace hawkgraph::cuda::dev
