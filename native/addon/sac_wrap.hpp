// The JS-facing SAC functions: trainPolicy's job (sacTrainAsync, on a native thread with progress
// and cancellation) and the test hooks lib/internal.ts exposes (the MLP's passes, Adam, the SAC
// losses' gradients, the control problem). Argument translation only; the math is in core/sac.
#pragma once

#include <napi.h>

namespace hawkgraph::addon {

void register_sac(Napi::Env env, Napi::Object exports);

}  // namespace hawkgraph::addon
