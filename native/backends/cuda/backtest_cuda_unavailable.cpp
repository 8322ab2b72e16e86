// The CUDA backtester in builds without nvcc: refuses with ERR_BACKEND_UNAVAILABLE.
#include "../../core/error.hpp"
#include "backtest_cuda.hpp"

// The build names why CUDA is absent (CMakeLists.txt, binding.gyp); runtime().cuda.status repeats it.
#ifndef HAWKGRAPH_CUDA_ABSENT_REASON
#define HAWKGRAPH_CUDA_ABSENT_REASON "the build did not record why"
#endif

namespace hawkgraph::cuda {

namespace {

[[noreturn]] void unavailable() {
  throw Error("ERR_BACKEND_UNAVAILABLE",
              "backend 'cuda' is not available: CUDA support was not compiled into this binary (" HAWKGRAPH_CUDA_ABSENT_REASON ")");
}

}  // namespace

backtest::BacktestResult backtest_run(const hawkes::HawkesModel&, const backtest::BacktestOptions&, const backtest::StrategySpec&,
                                      hawkes::SimulateControl*) {
  unavailable();
}

std::vector<backtest::BacktestResult> backtest_run_many(const std::vector<backtest::RunRef>&, hawkes::SimulateControl*) {
  unavailable();
}

}  // namespace hawkgraph::cuda
