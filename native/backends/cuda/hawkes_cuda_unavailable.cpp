// The CUDA Hawkes simulator in builds without nvcc: refuses with ERR_BACKEND_UNAVAILABLE.
#include "../../core/error.hpp"
#include "hawkes_cuda.hpp"

// The build names why CUDA is absent (CMakeLists.txt, binding.gyp); runtime().cuda.status repeats it.
#ifndef HAWKGRAPH_CUDA_ABSENT_REASON
#define HAWKGRAPH_CUDA_ABSENT_REASON "the build did not record why"
#endif

namespace hawkgraph::cuda {

hawkes::SimulateResult hawkes_simulate(const hawkes::HawkesModel&, const hawkes::SimulateOptions&, hawkes::SimulateControl*) {
  throw Error("ERR_BACKEND_UNAVAILABLE",
              "backend 'cuda' is not available: CUDA support was not compiled into this binary (" HAWKGRAPH_CUDA_ABSENT_REASON ")");
}

}  // namespace hawkgraph::cuda
