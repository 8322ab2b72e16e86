// The CUDA Hawkes simulator in builds without nvcc: refuses with ERR_BACKEND_UNAVAILABLE.
#include "../../core/error.hpp"
#include "hawkes_cuda.hpp"

namespace hawkgraph::cuda {

hawkes::SimulateResult hawkes_simulate(const hawkes::HawkesModel&, const hawkes::SimulateOptions&, hawkes::SimulateControl*) {
  throw Error("ERR_BACKEND_UNAVAILABLE",
              "backend 'cuda' is not available: CUDA support was not compiled into this binary (nvcc was not found at build time)");
}

}  // namespace hawkgraph::cuda
