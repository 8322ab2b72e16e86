// The JS-facing backtest functions (backtestRun, backtestRunAsync, backtestRunCallback):
// argument translation and threads only; the math lives in core/backtest and cuda/backtest_*.
#pragma once

#include <napi.h>

#include "../core/backtest/backtest.hpp"

namespace hawkgraph::addon {

// The market and run fields of backtest options as lib/backtest builds them (everything but the
// strategy and the backend): ERR_INVALID_OPTION naming a bad field. SAC's env reads them here too.
backtest::BacktestOptions market_options_arg(const Napi::Object& o);

void register_backtest(Napi::Env env, Napi::Object exports);

}  // namespace hawkgraph::addon
