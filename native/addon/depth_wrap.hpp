// The JS-facing full-depth book simulator (depthSimulate, depthSimulateAsync): argument
// translation only; the model and its labels are in core/depth.
#pragma once

#include <napi.h>

namespace hawkgraph::addon {

void register_depth(Napi::Env env, Napi::Object exports);

}  // namespace hawkgraph::addon
