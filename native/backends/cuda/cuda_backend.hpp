// The CUDA inference backend's factory, in plain C++ so the engine can name it in every build.
// cuda_backend.cu implements it where nvcc built this library; cuda_unavailable.cpp refuses.
#pragma once

#include <memory>

#include "../core/backend.hpp"
#include "gnn_cuda_plan.hpp"

namespace hawkgraph::cuda {

struct CudaBackendOptions {
  Precision precision = Precision::Fp16;
  // Single predictions: 0 measure both paths at creation and keep the faster, 1 the persistent
  // kernel polling mapped host memory, 2 replays of the batch-1 graph.
  int single_book = 0;
  int device = 0;
};

// Uploads the weights, preallocates every buffer, captures one graph per bucket and (for the
// persistent path) starts the polling kernel. Throws hawkgraph::Error: ERR_BACKEND_UNAVAILABLE
// when no usable device is found or the model does not fit the kernels, ERR_CUDA (with the CUDA
// error name) when a CUDA call fails.
std::unique_ptr<InferenceBackend> make_cuda_backend(const GnnModel& model, const CudaBackendOptions& options);

}  // namespace hawkgraph::cuda
