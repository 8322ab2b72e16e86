// The CUDA interface in builds without nvcc: reports that no CUDA code was compiled in.
#include "cuda_runtime.hpp"

#include "../core/error.hpp"

namespace hawkgraph::cuda {

RuntimeInfo query_runtime() {
  RuntimeInfo info;
  info.status = "CUDA support was not compiled into this binary (nvcc was not found at build time)";
  return info;
}

void vector_axpy(float, const float*, float*, int) {
  throw Error("ERR_BACKEND_UNAVAILABLE", "CUDA support was not compiled into this binary");
}

}  // namespace hawkgraph::cuda
