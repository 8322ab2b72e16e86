// constants(): the core's limits (core/limits.hpp) and record layouts (core/layouts.hpp) as one
// frozen plain object, so lib/ reads the numbers native code checks and writes with.
#pragma once

#include <napi.h>

namespace hawkgraph::addon {

void register_constants(Napi::Env env, Napi::Object exports);

}  // namespace hawkgraph::addon
