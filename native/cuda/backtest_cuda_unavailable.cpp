// The CUDA backtester in builds without nvcc: refuses with ERR_BACKEND_UNAVAILABLE.
#include "../core/error.hpp"
#include "backtest_cuda.hpp"

namespace hawkgraph::cuda {

backtest::BacktestResult backtest_run(const hawkes::HawkesModel&, const backtest::BacktestOptions&, const backtest::StrategySpec&,
                                      hawkes::SimulateControl*) {
  throw Error("ERR_BACKEND_UNAVAILABLE",
              "backend 'cuda' is not available: CUDA support was not compiled into this binary (nvcc was not found at build time)");
}

}  // namespace hawkgraph::cuda
