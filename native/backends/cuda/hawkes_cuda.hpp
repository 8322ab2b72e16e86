// The CUDA Hawkes simulator as the rest of the engine sees it, in plain C++ (no CUDA headers).
// Implemented by hawkes_simulate.cu where nvcc built this library, and by
// hawkes_cuda_unavailable.cpp (ERR_BACKEND_UNAVAILABLE) where it did not.
#pragma once

#include "../../core/hawkes/hawkes_simulate.hpp"

namespace hawkgraph::cuda {

// The most components (D with one beta per excited dimension, D * D with a full beta matrix)
// and decay groups a device path carries in its registers / local memory.
constexpr int kHawkesMaxComps = 64;

// One path per device thread, same Philox streams and step functions as the CPU (exact or
// thinning), so results match the CPU's up to the last bits of log/exp. With stats_only the
// statistics are reduced on the device and no event is stored; otherwise events come back in
// chunks of `chunk_events` per path per launch. `threads` is ignored. Throws
// ERR_BACKEND_UNAVAILABLE without a usable device, ERR_INVALID_OPTION for a model too large for
// a device path, ERR_CUDA for a failing CUDA call.
hawkes::SimulateResult hawkes_simulate(const hawkes::HawkesModel& model, const hawkes::SimulateOptions& options,
                                       hawkes::SimulateControl* control);

}  // namespace hawkgraph::cuda
