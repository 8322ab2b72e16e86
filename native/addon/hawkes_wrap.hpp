// The JS-facing Hawkes functions (hawkesCheck, hawkesSimulate, hawkesSimulateAsync,
// hawkesLogLikelihood, hawkesFit): argument translation and threads only; the math lives in
// core/hawkes and cuda/hawkes_*.
#pragma once

#include <napi.h>

namespace hawkgraph::addon {

void register_hawkes(Napi::Env env, Napi::Object exports);

}  // namespace hawkgraph::addon
