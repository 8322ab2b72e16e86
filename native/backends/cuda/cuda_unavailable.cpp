// The CUDA interface in builds without nvcc: reports that no CUDA code was compiled in.
#include "cuda_backend.hpp"
#include "cuda_runtime.hpp"

#include "../../core/error.hpp"

namespace hawkgraph::cuda {

RuntimeInfo query_runtime() {
  RuntimeInfo info;
  info.status = "CUDA support was not compiled into this binary (nvcc was not found at build time)";
  return info;
}

std::unique_ptr<InferenceBackend> make_cuda_backend(const GnnModel&, const CudaBackendOptions&) {
  throw Error("ERR_BACKEND_UNAVAILABLE", "backend \"cuda\" is unavailable: CUDA support was not compiled into this binary");
}

void vector_axpy(float, const float*, float*, int) {
  throw Error("ERR_BACKEND_UNAVAILABLE", "CUDA support was not compiled into this binary");
}

}  // namespace hawkgraph::cuda
