// The CUDA interface in builds without nvcc: reports that no CUDA code was compiled in.
#include "cuda_backend.hpp"
#include "cuda_runtime.hpp"

#include "../../core/error.hpp"

// The build names why CUDA is absent (CMakeLists.txt, binding.gyp); runtime().cuda.status repeats it.
#ifndef HAWKGRAPH_CUDA_ABSENT_REASON
#define HAWKGRAPH_CUDA_ABSENT_REASON "the build did not record why"
#endif

namespace hawkgraph::cuda {

RuntimeInfo query_runtime() {
  RuntimeInfo info;
  info.status = "CUDA support was not compiled into this binary (" HAWKGRAPH_CUDA_ABSENT_REASON ")";
  return info;
}

std::unique_ptr<InferenceBackend> make_cuda_backend(const GnnModel&, const CudaBackendOptions&) {
  throw Error("ERR_BACKEND_UNAVAILABLE", "backend \"cuda\" is unavailable: CUDA support was not compiled into this binary (" HAWKGRAPH_CUDA_ABSENT_REASON ")");
}

void vector_axpy(float, const float*, float*, int) {
  throw Error("ERR_BACKEND_UNAVAILABLE", "CUDA support was not compiled into this binary");
}

}  // namespace hawkgraph::cuda
