// Every CUDA call goes through CUDA_CHECK, which throws hawkgraph::Error with the CUDA error
// name, the call and its file:line.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "../../core/error.hpp"

namespace hawkgraph::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  throw Error("ERR_CUDA", std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err) + " in " +
                              call + " at " + file + ":" + std::to_string(line));
}

// Throws ERR_BACKEND_UNAVAILABLE, with the CUDA error name, when no device can be used here.
inline void require_device() {
  int devices = 0;
  const cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0) {
    cudaGetLastError();
    throw Error("ERR_BACKEND_UNAVAILABLE", std::string("backend 'cuda' is not available: ") +
                                               (err != cudaSuccess ? cudaGetErrorName(err) : "no CUDA device"));
  }
}

}  // namespace hawkgraph::cuda

#define CUDA_CHECK(call)                                                              \
  do {                                                                                \
    cudaError_t err_ = (call);                                                        \
    if (err_ != cudaSuccess) ::hawkgraph::cuda::throw_cuda_error(err_, #call, __FILE__, __LINE__); \
  } while (0)
