// The GNN kernels' host entry points (declared for cuda_backend.cu) and the mailbox the persistent
// kernel polls. CUDA headers allowed; included only by .cu files.
#pragma once

#include <cuda_runtime.h>

#include "gnn_cuda_plan.hpp"

namespace hawkgraph::cuda {

// Control words of the persistent kernel in mapped host memory. The host writes the first cache
// line, the device the second, so neither side's polling reads a line the other keeps dirtying.
struct alignas(128) MailboxControl {
  volatile unsigned seq_in;   // host: the request number; a new value means "a book is staged"
  volatile unsigned stop;     // host: 1 asks the kernel to exit
  unsigned host_pad[30];
  volatile unsigned seq_out;  // device: the request last answered (outputs written before it)
  volatile unsigned alive;    // device: 0 once the kernel has left its loop
  unsigned device_pad[30];
};

struct KernelArgs {
  KernelLayout layout;
  const void* weights;   // __half or float blob (device)
  const float* params;   // device
  const int* offsets;    // device
  const int* sources;    // device
};

// Raises the kernels' dynamic shared-memory limit and loads them (so no module loads later while a
// persistent kernel runs). Returns the first CUDA error.
cudaError_t prepare_gnn_kernels(bool fp16, size_t batch_smem, size_t single_smem);

// Runs `books` input records (the first `books` of `in`) into output records.
cudaError_t launch_gnn_batch(const KernelArgs& args, const StagingLayout& staging, const float* in, float* out,
                             int books, int grid, cudaStream_t stream);

// Starts the polling kernel (one block). It answers requests newer than `start_seq` and exits on
// stop, or after `idle_ns` without a request (so a process never keeps a spinning kernel that
// would stall another component's device-wide synchronisation for long).
cudaError_t launch_gnn_persistent(const KernelArgs& args, const StagingLayout& staging, MailboxControl* control,
                                  const float* input, float* output, unsigned start_seq, unsigned long long idle_ns,
                                  cudaStream_t stream);

}  // namespace hawkgraph::cuda
