// The two GNN kernels. Each block runs the whole network on a tile of books with every
// intermediate in shared memory (fp16: the weights too, loaded once per block):
//   book features -> SAGE 1 -> SAGE 2 -> attention (pooled fold, or conv3 + MHA) -> readout.
//   gnn_batch_kernel       grid-stride over tiles of a captured bucket (one graph replay).
//   gnn_persistent_kernel  one block polling mapped host memory for single books: no launch and
//                          no copy call per prediction.
#include <mutex>

#include "attention.cuh"
#include "book_features.cuh"
#include "gnn_kernels.cuh"
#include "readout.cuh"
#include "sage_layer.cuh"

namespace hawkgraph::cuda {
namespace dev {

template <typename T, bool kGlobal>
__device__ void forward_tile(const KernelLayout& k, const TileSmem<T>& s, const float* params, const float* in,
                             int in_stride, float* out, int out_stride, int nb) {
  load_tile_books<T, kGlobal>(k, s, in, in_stride, nb);
  bool any = false;
  for (int b = 0; b < k.tile_books; ++b) any |= s.levels[b] > 0;
  __syncthreads();   // every thread has read levels before the next tile may rewrite them
  if (!any) return;  // a tile of padding: the same answer in every thread
  const int H = k.hidden;
  sage_linear<true>(k, s, s.a, k.k1, s.w + k.w1, k.ld_w1, s.par + k.b1, H, s.b + H);
  __syncthreads();
  sage_aggregate(k, s, s.b, H);
  __syncthreads();
  sage_linear<true>(k, s, s.b, 2 * H, s.w + k.w2, k.ld_w2, s.par + k.b2, H, s.a + H);
  __syncthreads();
  sage_aggregate(k, s, s.a, H);
  __syncthreads();
  if (k.pooled) {
    pooled_attention(k, s);
  } else {
    levels_attention(k, s, params);
  }
  __syncthreads();
  readout(k, s, out, out_stride);
  __syncthreads();
}

// 512 threads for fp16 (KernelLayout::threads), 256 for fp32; one block per multiprocessor.
template <typename T>
__global__ void __launch_bounds__(sizeof(T) == 2 ? 512 : 256, 1)
    gnn_batch_kernel(KernelLayout k, const T* weights, const float* params, const int* offsets, const int* sources,
                     const float* in, int in_stride, float* out, int out_stride, int books) {
  extern __shared__ __align__(128) unsigned char smem[];
  load_block_constants(k, smem, weights, params, offsets, sources);
  __syncthreads();
  const TileSmem<T> s = carve(k, smem, weights);
  const int tiles = (books + k.tile_books - 1) / k.tile_books;
  for (int t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int first = t * k.tile_books;
    const int nb = min(k.tile_books, books - first);
    forward_tile<T, true>(k, s, params, in + static_cast<size_t>(first) * in_stride, in_stride,
                           out + static_cast<size_t>(first) * out_stride, out_stride, nb);
  }
}

__device__ __forceinline__ unsigned load_acquire_sys(const volatile unsigned* p) {
  unsigned v;
  asm volatile("ld.acquire.sys.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}

__device__ __forceinline__ unsigned long long global_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

template <typename T>
__global__ void __launch_bounds__(sizeof(T) == 2 ? 512 : 256, 1)
    gnn_persistent_kernel(KernelLayout k, const T* weights, const float* params, const int* offsets,
                          const int* sources, MailboxControl* control, const float* input, float* output,
                          int in_stride, int out_stride, unsigned start_seq, unsigned long long idle_ns) {
  extern __shared__ __align__(128) unsigned char smem[];
  __shared__ unsigned command;  // the request to answer, or 0 to leave
  __shared__ int leave;
  load_block_constants(k, smem, weights, params, offsets, sources);
  __syncthreads();
  const TileSmem<T> s = carve(k, smem, weights);
  unsigned last = start_seq;
  for (;;) {
    if (threadIdx.x == 0) {
      const unsigned long long since = global_ns();
      int exit_now = 0;
      unsigned seq = last;
      for (;;) {
        seq = load_acquire_sys(&control->seq_in);
        if (seq != last) break;
        if (control->stop != 0u || global_ns() - since > idle_ns) {
          exit_now = 1;
          break;
        }
      }
      command = seq;
      leave = exit_now;
    }
    __syncthreads();
    if (leave) break;
    const unsigned seq = command;
    // One parallel pass over PCIe (volatile: the host rewrites this record between requests),
    // instead of a dependent round trip per stage of the feature build.
    float* record = reinterpret_cast<float*>(smem + k.sm_record);
    for (int i = threadIdx.x; i < in_stride; i += blockDim.x) record[i] = reinterpret_cast<const volatile float*>(input)[i];
    __syncthreads();
    forward_tile<T, false>(k, s, params, record, in_stride, output, out_stride, 1);
    // The readout warp (one book: warp 0) wrote the outputs; it publishes them system-wide before
    // thread 0, after the barrier, raises seq_out. Other warps have nothing to fence.
    if (threadIdx.x < 32) __threadfence_system();
    __syncthreads();
    if (threadIdx.x == 0) {
      __threadfence_system();
      control->seq_out = seq;
      __threadfence_system();
    }
    last = seq;
  }
  if (threadIdx.x == 0) {
    __threadfence_system();
    control->alive = 0u;
    __threadfence_system();
  }
}

}  // namespace dev

namespace {

// The limit is per kernel function, shared by every engine in the process: only ever raise it, so
// one engine's smaller model never invalidates another's launches or captured graphs.
template <typename Kernel>
cudaError_t raise_smem_limit(Kernel kernel, size_t bytes) {
  static std::mutex lock;
  std::lock_guard<std::mutex> guard(lock);
  cudaFuncAttributes attr{};
  cudaError_t err = cudaFuncGetAttributes(&attr, kernel);
  if (err != cudaSuccess || static_cast<size_t>(attr.maxDynamicSharedSizeBytes) >= bytes) return err;
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
}

}  // namespace

cudaError_t prepare_gnn_kernels(bool fp16, size_t batch_smem, size_t single_smem) {
  cudaError_t err;
  if (fp16) {
    err = raise_smem_limit(dev::gnn_batch_kernel<__half>, batch_smem);
    if (err == cudaSuccess) err = raise_smem_limit(dev::gnn_persistent_kernel<__half>, single_smem);
  } else {
    err = raise_smem_limit(dev::gnn_batch_kernel<float>, batch_smem);
    if (err == cudaSuccess) err = raise_smem_limit(dev::gnn_persistent_kernel<float>, single_smem);
  }
  return err;
}

cudaError_t launch_gnn_batch(const KernelArgs& a, const StagingLayout& staging, const float* in, float* out,
                             int books, int grid, cudaStream_t stream) {
  const KernelLayout& k = a.layout;
  if (k.precision == 0) {
    dev::gnn_batch_kernel<__half><<<grid, k.threads, k.sm_bytes, stream>>>(
        k, static_cast<const __half*>(a.weights), a.params, a.offsets, a.sources, in, staging.input_stride, out,
        staging.output_stride, books);
  } else {
    dev::gnn_batch_kernel<float><<<grid, k.threads, k.sm_bytes, stream>>>(
        k, static_cast<const float*>(a.weights), a.params, a.offsets, a.sources, in, staging.input_stride, out,
        staging.output_stride, books);
  }
  return cudaGetLastError();
}

cudaError_t launch_gnn_persistent(const KernelArgs& a, const StagingLayout& staging, MailboxControl* control,
                                  const float* input, float* output, unsigned start_seq, unsigned long long idle_ns,
                                  cudaStream_t stream) {
  const KernelLayout& k = a.layout;
  if (k.precision == 0) {
    dev::gnn_persistent_kernel<__half><<<1, k.threads, k.sm_bytes, stream>>>(
        k, static_cast<const __half*>(a.weights), a.params, a.offsets, a.sources, control, input, output,
        staging.input_stride, staging.output_stride, start_seq, idle_ns);
  } else {
    dev::gnn_persistent_kernel<float><<<1, k.threads, k.sm_bytes, stream>>>(
        k, static_cast<const float*>(a.weights), a.params, a.offsets, a.sources, control, input, output,
        staging.input_stride, staging.output_stride, start_seq, idle_ns);
  }
  return cudaGetLastError();
}

}  // namespace hawkgraph::cuda
