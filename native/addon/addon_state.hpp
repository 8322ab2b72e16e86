// Per-environment state (one per main thread or worker): the error class lib/ registers and
// the engine constructor. The addon is context-aware; nothing here is process-global.
#pragma once

#include <napi.h>

namespace hawkgraph::addon {

struct AddonState {
  Napi::FunctionReference error_class;
  Napi::FunctionReference engine_constructor;
  Napi::FunctionReference stream_constructor;
};

inline AddonState& state(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

}  // namespace hawkgraph::addon
