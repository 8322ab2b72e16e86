// The JS-facing goodness-of-fit function of Hawkes processes (hawkesResiduals): argument
// translation only; the residuals are computed in core/hawkes/hawkes_residuals.
#pragma once

#include <napi.h>

namespace hawkgraph::addon {

void register_hawkes_gof(Napi::Env env, Napi::Object exports);

}  // namespace hawkgraph::addon
