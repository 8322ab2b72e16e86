// The CUDA backtester as the rest of the engine sees it, in plain C++ (no CUDA headers).
// Implemented by backtest_kernels.cu where nvcc built this library, and by
// backtest_cuda_unavailable.cpp (ERR_BACKEND_UNAVAILABLE) where it did not.
#pragma once

#include "../../core/backtest/backtest.hpp"

namespace hawkgraph::cuda {

// One path per device thread through the same run_path as the CPU (backtest_step.hpp), with the
// same Philox streams, so per-path results equal the CPU's up to the last bits of the device's
// log/exp (a flipped comparison can then change a path). Strategies 'sym', 'lin' and 'policy'
// only (a JS callback cannot run on a device: ERR_INVALID_OPTION). Records are not supported.
// Throws ERR_BACKEND_UNAVAILABLE without a usable device, ERR_CUDA for a failing CUDA call.
backtest::BacktestResult backtest_run(const hawkes::HawkesModel& model, const backtest::BacktestOptions& options,
                                      const backtest::StrategySpec& strategy, hawkes::SimulateControl* control);

// Several runs at once (a study's strategies and noise levels), each on a stream of its own, so
// their kernels share the device: a run of 1000 paths fills a few dozen of an H100's 132
// multiprocessors, and runs one after another would leave the rest idle. Every run is checked
// before anything is uploaded.
std::vector<backtest::BacktestResult> backtest_run_many(const std::vector<backtest::RunRef>& runs,
                                                        hawkes::SimulateControl* control);

}  // namespace hawkgraph::cuda
