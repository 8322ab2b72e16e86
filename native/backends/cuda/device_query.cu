// Device discovery for runtime() and engine.info. Uses the statically linked runtime, so a
// machine without a driver gets cudaErrorInsufficientDriver / NoDevice here, not a load failure.
#include "cuda_runtime.hpp"

#include <cuda_runtime.h>

namespace hawkgraph::cuda {

RuntimeInfo query_runtime() {
  RuntimeInfo info;
  info.compiled = true;
  cudaRuntimeGetVersion(&info.runtime_version);
  if (cudaDriverGetVersion(&info.driver_version) != cudaSuccess) info.driver_version = 0;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    info.status = cudaGetErrorName(err);
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return info;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    DeviceInfo d;
    d.index = i;
    d.name = prop.name;
    d.compute_major = prop.major;
    d.compute_minor = prop.minor;
    d.total_memory = prop.totalGlobalMem;
    d.multiprocessors = prop.multiProcessorCount;
    info.devices.push_back(d);
  }
  info.status = info.devices.empty() ? "no device" : "ok";
  return info;
}

}  // namespace hawkgraph::cuda
