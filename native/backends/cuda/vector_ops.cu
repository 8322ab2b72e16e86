// A small elementwise kernel and its host entry: the build's proof that device code compiles,
// launches and round-trips through device memory.
#include <cuda_runtime.h>

#include <memory>

#include "cuda_check.cuh"
#include "cuda_runtime.hpp"

namespace hawkgraph::cuda {
namespace {

__global__ void axpy_kernel(float a, const float* __restrict__ x, float* __restrict__ y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = fmaf(a, x[i], y[i]);
}

struct DeviceFree {
  void operator()(float* p) const { cudaFree(p); }
};
using DeviceBuffer = std::unique_ptr<float, DeviceFree>;

DeviceBuffer device_alloc(int n) {
  float* p = nullptr;
  CUDA_CHECK(cudaMalloc(&p, sizeof(float) * static_cast<size_t>(n)));
  return DeviceBuffer(p);
}

}  // namespace

void vector_axpy(float a, const float* x, float* y, int n) {
  if (n <= 0) return;
  const size_t bytes = sizeof(float) * static_cast<size_t>(n);
  DeviceBuffer dx = device_alloc(n), dy = device_alloc(n);
  CUDA_CHECK(cudaMemcpy(dx.get(), x, bytes, cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(dy.get(), y, bytes, cudaMemcpyHostToDevice));
  constexpr int kThreads = 256;
  axpy_kernel<<<(n + kThreads - 1) / kThreads, kThreads>>>(a, dx.get(), dy.get(), n);
  CUDA_CHECK(cudaGetLastError());
  CUDA_CHECK(cudaMemcpy(y, dy.get(), bytes, cudaMemcpyDeviceToHost));
}

}  // namespace hawkgraph::cuda
