// The JS-facing backtest functions (backtestRun, backtestRunAsync, backtestRunCallback):
// argument translation and threads only; the math lives in core/backtest and cuda/backtest_*.
#pragma once

#include <napi.h>

namespace hawkgraph::addon {

void register_backtest(Napi::Env env, Napi::Object exports);

}  // namespace hawkgraph::addon
