// The CUDA inference backend's factory, in plain C++ so the registry can name it in every build.
// cuda_backend.cu implements it where nvcc built this library; cuda_unavailable.cpp refuses.
#pragma once

#include <memory>

#include "../../core/backend.hpp"
#include "gnn_cuda_plan.hpp"

namespace hawkgraph::cuda {

// How single predictions run: Measure both at creation and keep the faster, the Persistent kernel
// polling mapped host memory, or replays of the batch-1 Graph.
enum class SingleBookPath { Measure, Persistent, Graph };

struct CudaBackendOptions {
  Precision precision = Precision::Fp16;
  SingleBookPath single_book = SingleBookPath::Measure;
  int device = 0;
  int host_threads = 1;  // host threads that validate and stage a batch
};

// Uploads the weights, preallocates every buffer, captures one graph per bucket and (for the
// persistent path) starts the polling kernel. Throws hawkgraph::Error: ERR_BACKEND_UNAVAILABLE
// when no usable device is found or the model does not fit the kernels, ERR_CUDA (with the CUDA
// error name) when a CUDA call fails.
std::unique_ptr<InferenceBackend> make_cuda_backend(const GnnModel& model, const CudaBackendOptions& options);

}  // namespace hawkgraph::cuda
