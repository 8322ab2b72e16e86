// Monte Carlo market-making backtests on the 8-event LOB model: the run description, the policy
// network loaded from safetensors, and the CPU driver on native threads. The per-step math is in
// backtest_step.hpp (shared with native/backends/cuda/backtest_kernels.cu). Plain C++; no Node or CUDA
// headers.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "../hawkes/hawkes_model.hpp"
#include "../limits.hpp"
#include "../hawkes/hawkes_rng_cpu.hpp"
#include "../hawkes/hawkes_simulate.hpp"
#include "backtest_step.hpp"

namespace hawkgraph::backtest {

// A policy network with its weights owned here (transposed, float32) and a view into them.
struct Policy {
  std::vector<std::vector<float>> weight_t, bias;
  MlpView view{};
};

// Reads a ReLU MLP from safetensors bytes: tensors `layers.<i>.weight` [out, in] and
// `layers.<i>.bias` [out] (F32 or F64), i = 0 .. L-1, input width 3, output width 2, hidden
// widths <= 256; metadata `input_mean` and `input_std` (JSON arrays of 3 numbers, std > 0),
// optional `output_activation` ("none" or "tanh"), `output_scale` and `output_offset` (2 numbers
// each), `offsets_from` ("mid", the default, or "best": offsets from the best prices, the seed
// paper's action in ticks). Throws ERR_POLICY naming the tensor or key.
std::unique_ptr<Policy> load_policy(const uint8_t* bytes, size_t size);

enum class StrategyKind { Sym, Lin, Policy, Callback };

// The JS callback strategy (CPU only, the caller's thread): a decision from an observation.
using DecideFn = std::function<Decision(const Observation&, int64_t path)>;

struct StrategySpec {
  StrategyKind kind = StrategyKind::Sym;
  LinStrategy lin{};
  const Policy* policy = nullptr;
  DecideFn decide;
};

// Per-step, per-fill and per-event records for small runs (tests and debugging). A step's
// bid/ask and quotes are the book and the agent's quotes once it has placed them (NaN: none);
// an event's are the book after it, event_agent 1 for the agent's own orders, event_intensity
// the 8 intensities just after it.
struct Records {
  std::vector<double> step_path, step_time, step_bid, step_ask, step_quote_bid, step_quote_ask, step_inventory, step_cash, step_wealth;
  std::vector<double> fill_path, fill_step, fill_time, fill_side, fill_price, fill_fee, fill_maker, fill_inventory, fill_cash, fill_bid, fill_ask;
  std::vector<double> event_path, event_step, event_time, event_type, event_agent, event_bid, event_ask, event_intensity;
};

struct BacktestOptions {
  BacktestSpec spec{};
  hawkes::LobSpec lob{};
  int64_t paths = 1;
  int64_t first_path = 0;  // path indices [first_path, first_path + paths): the callback runs in slices
  int threads = 1;
  bool record = false;
};

struct BacktestResult;

// One run of several started together (a study's strategies and noise levels): borrowed.
struct RunRef {
  const hawkes::HawkesModel* model;
  const BacktestOptions* options;
  const StrategySpec* strategy;
};

struct BacktestResult {
  std::vector<double> pnl, gross_pnl, maker_notional, taker_notional, cash, mid, map, reward, inventory, trades, events;
  // The per-path vectors above, in PathResult's order (the CUDA kernel writes one row per field).
  static constexpr int kPerPathFields = 11;
  std::array<std::vector<double>*, kPerPathFields> per_path() {
    return {&pnl, &gross_pnl, &maker_notional, &taker_notional, &cash, &mid, &map, &reward, &inventory, &trades, &events};
  }
  std::vector<double> grid_gross, grid_maker, grid_taker;  // [paths * grid]
  Records records;
  bool cancelled = false;
};

// Largest records a run may keep: paths * steps.
constexpr int64_t kMaxRecordedSteps = limits::kMaxRecordedSteps;

// Largest jump location and scale (ticks): limits.hpp says why.
constexpr double kMaxJumpTicks = limits::kMaxJumpTicks;

// ERR_INVALID_OPTION naming the field for anything out of range.
void validate_backtest_options(const BacktestOptions& o);

// The Hawkes parameters of a backtest: stable (hawkes::validate_params) and 8-dimensional, the
// LOB event types; ERR_INVALID_OPTION otherwise.
void check_lob_params(const hawkes::HawkesParams& params);

// The baseline noise's standard deviation from its variance (ERR_INVALID_OPTION unless the
// variance is a finite number >= 0).
double noise_std(double variance);

// Events are simulated one at a time up to the horizon with no cap per path (each one moves the
// book the strategy sees), so an order flow absurdly fast for the horizon would never finish.
// Throws ERR_INVALID_OPTION when the expected events per path (the stationary intensity with
// every baseline raised by 6 noise standard deviations, times the horizon) exceed this bound.
constexpr double kMaxExpectedEventsPerPath = 1e9;
void check_event_budget(const hawkes::HawkesParams& params, const BacktestSpec& spec);

// ERR_INVALID_OPTION naming the field for a run no backend can do: bad options, a model that is
// not the 8-event LOB model, an order flow too fast for the horizon, a policy without weights.
void check_run(const hawkes::HawkesModel& model, const BacktestOptions& options, const StrategySpec& strategy);

// Runs paths on `threads` native threads (the callback strategy runs on the caller's thread
// only). Path p's results depend only on (seed, p) and the settings, never on the thread count.
// control: progress (paths_done, events_done) and cancellation, may be null.
BacktestResult run_backtest(const hawkes::HawkesModel& model, const BacktestOptions& options, const StrategySpec& strategy,
                            hawkes::SimulateControl* control);

// One path of the interactive model driven step by step by a caller that picks the actions
// itself (a native trainer such as SAC): no JS and no strategy. reset(p) starts path p with its
// streams from (seed, p) (and its baseline noise), so a rollout is runBacktest's path p under the
// same decisions. Not thread-safe; one per thread.
class MarketMakingEnv {
 public:
  // ERR_INVALID_OPTION as check_run (the options' strategy is unused); the model must outlive it.
  MarketMakingEnv(const hawkes::HawkesModel& model, const BacktestOptions& options);
  MarketMakingEnv(const MarketMakingEnv&) = delete;
  MarketMakingEnv& operator=(const MarketMakingEnv&) = delete;

  void reset(int64_t path);
  // The state at the step start, before the step's cancellations, trend included.
  Observation observe() const { return run_.observe(true); }
  // Cancels, places the decision's quotes, runs the step's events; the step's reward,
  // dW - phi * integral of |I| dt (W = cash net of fees + I * mid). Only before done().
  double step(const Decision& d) { return run_.step(d); }
  bool done() const { return run_.done(); }
  int64_t steps() const { return options_.spec.steps; }
  // The path's totals (after done()).
  PathResult result();

 private:
  using Run = PathRun<0, false, hawkes::BatchRng, SymStrategy, NoRecorder>;
  const hawkes::HawkesModel& model_;
  BacktestOptions options_;
  LobTables lob_{};
  HawkesTables tables_{};
  PathState state_{};
  std::vector<double> y_, next_, decay_, mu_, cdf_;
  hawkes::BatchRng market_{}, coins_{}, noise_{};
  SymStrategy unused_strategy_{};
  NoRecorder no_recorder_{};
  Run run_{};
};

// Several runs, one after another (each on its own threads), every one checked before the first
// starts. After a cancellation the rest come back empty, marked cancelled.
std::vector<BacktestResult> run_backtests(const std::vector<RunRef>& runs, hawkes::SimulateControl* control);

}  // namespace hawkgraph::backtest
