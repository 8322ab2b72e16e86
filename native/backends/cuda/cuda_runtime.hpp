// What the rest of the engine may know about CUDA, in plain C++ (no CUDA headers): whether
// support was compiled in, the devices found, and a small device self-test. Implemented by
// device_query.cu where nvcc built this library, and by cuda_unavailable.cpp where it did not.
#pragma once

#include <string>
#include <vector>

namespace hawkgraph::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  size_t total_memory = 0;
  int multiprocessors = 0;
};

struct RuntimeInfo {
  bool compiled = false;    // CUDA code is part of this binary
  int runtime_version = 0;  // e.g. 13000; 0 when not compiled
  int driver_version = 0;   // 0 when no driver is installed
  std::vector<DeviceInfo> devices;
  std::string status;       // "ok", or why no device is usable ("no device", a CUDA error name)
};

// Queries once per call; never throws (a missing driver or device is reported in `status`).
RuntimeInfo query_runtime();

// y = a * x + y on device 0, copying through device memory: proves the kernels launch and the
// copies work on this machine. Throws hawkgraph::Error(ERR_CUDA, ...) on failure.
void vector_axpy(float a, const float* x, float* y, int n);

}  // namespace hawkgraph::cuda
