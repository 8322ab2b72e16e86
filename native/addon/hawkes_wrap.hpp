// The JS-facing Hawkes functions (hawkesCheck, hawkesSimulate, hawkesSimulateAsync,
// hawkesLogLikelihood, hawkesFit): argument translation and threads only; the math lives in
// core/hawkes, and backends/registry.hpp runs a simulation on the CPU or the device.
#pragma once

#include <napi.h>

#include "../core/hawkes/hawkes_model.hpp"

namespace hawkgraph::addon {

void register_hawkes(Napi::Env env, Napi::Object exports);

// (mu, alpha, beta) from arguments first..first+2: flat Float64Arrays of D, D * D and D * D values.
hawkes::HawkesParams params_arg(const Napi::CallbackInfo& info, size_t first);

}  // namespace hawkgraph::addon
