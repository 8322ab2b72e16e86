#include "backtest.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>

#include "../error.hpp"
#include "../json.hpp"
#include "../safetensors.hpp"

namespace hawkgraph::backtest {
namespace {

[[noreturn]] void bad_option(const std::string& message) { throw Error("ERR_INVALID_OPTION", message); }
[[noreturn]] void bad_policy(const std::string& message) { throw Error("ERR_POLICY", message); }

std::vector<double> metadata_numbers(const std::map<std::string, std::string>& meta, const std::string& key, size_t count,
                                     bool required, double fallback) {
  auto it = meta.find(key);
  if (it == meta.end()) {
    if (required) bad_policy("metadata \"" + key + "\" is missing (a JSON array of " + std::to_string(count) + " numbers)");
    return std::vector<double>(count, fallback);
  }
  json::Value v;
  try {
    v = json::parse(it->second);
  } catch (const Error&) {
    bad_policy("metadata \"" + key + "\" must be a JSON array of " + std::to_string(count) + " numbers, got " + it->second);
  }
  if (v.kind != json::Kind::Array || v.array.size() != count) {
    bad_policy("metadata \"" + key + "\" must be a JSON array of " + std::to_string(count) + " numbers, got " + it->second);
  }
  std::vector<double> out;
  for (const auto& e : v.array) {
    if (e.kind != json::Kind::Number || !std::isfinite(e.number)) bad_policy("metadata \"" + key + "\" has a non-finite entry: " + it->second);
    // The network runs in float32, where a number beyond its range is infinite.
    if (std::fabs(e.number) > std::numeric_limits<float>::max()) {
      bad_policy("metadata \"" + key + "\" has an entry beyond the float32 range the network runs in: " + it->second);
    }
    out.push_back(e.number);
  }
  return out;
}

std::vector<float> tensor_floats(const TensorView& t) {
  std::vector<float> out(t.element_count());
  if (t.dtype == DType::F32) {
    std::memcpy(out.data(), t.data, out.size() * sizeof(float));
  } else if (t.dtype == DType::F64) {
    for (size_t i = 0; i < out.size(); ++i) {
      double v;
      std::memcpy(&v, t.data + i * sizeof(double), sizeof(double));
      // Out of float's range the conversion is undefined ([conv.double]), not infinity.
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
        bad_policy("tensor \"" + t.name + "\" has a value beyond the float32 range the network runs in: " + format_number(v));
      }
      out[i] = static_cast<float>(v);
    }
  } else {
    bad_policy("tensor \"" + t.name + "\" must be F32 or F64, got " + t.dtype_name);
  }
  for (float v : out) {
    if (!std::isfinite(v)) bad_policy("tensor \"" + t.name + "\" has a non-finite value");
  }
  return out;
}

// A dense layer whose output width W is known at compile time: the W accumulators stay in
// vector registers for the whole input loop instead of a load-add-store round trip through
// memory per input (the 2 x 64 actor of a SAC agent is the case that matters).
template <int W>
__attribute__((always_inline)) inline void dense_fixed(const float* __restrict__ w, const float* __restrict__ bias, const float* __restrict__ x,
                                                      int n_in, float* __restrict__ out, bool relu) {
  float acc[W];
  for (int j = 0; j < W; ++j) acc[j] = bias[j];
  for (int i = 0; i < n_in; ++i) {
    const float xi = x[i];
    const float* __restrict__ row = w + static_cast<size_t>(i) * W;
    for (int j = 0; j < W; ++j) acc[j] += xi * row[j];
  }
  for (int j = 0; j < W; ++j) out[j] = relu ? (acc[j] > 0.0f ? acc[j] : 0.0f) : acc[j];
}

// The vectorised forward pass, one clone per instruction set, picked at load time. Hidden layers
// of width 64 take the register-resident path; other widths the shared generic loop (the same
// arithmetic in the same order, so results do not depend on the path taken).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
void mlp_forward_cpu(const MlpView& m, const float* x, float* y, float* a, float* b) {
  bool fixed = true;
  for (int l = 0; l + 1 < m.layers; ++l) fixed = fixed && m.width[l + 1] == 64;
  if (!fixed) {
    mlp_forward(m, x, y, a, b);
    return;
  }
  for (int i = 0; i < kPolicyInputs; ++i) a[i] = (x[i] - m.input_mean[i]) / m.input_std[i];
  for (int l = 0; l + 1 < m.layers; ++l) {
    dense_fixed<64>(m.weight_t[l], m.bias[l], a, m.width[l], b, true);
    float* t = a;
    a = b;
    b = t;
  }
  dense_fixed<kPolicyOutputs>(m.weight_t[m.layers - 1], m.bias[m.layers - 1], a, m.width[m.layers - 1], b, false);
  for (int j = 0; j < kPolicyOutputs; ++j) {
    float v = b[j];
    if (m.output_tanh) v = tanhf(v);
    y[j] = v * m.output_scale[j] + m.output_offset[j];
  }
}

struct CpuForward {
  void operator()(const MlpView& m, const float* x, float* y, float* a, float* b) const { mlp_forward_cpu(m, x, y, a, b); }
};

struct CallbackStrategy {
  static constexpr bool kNeedsTrend = true;
  static constexpr bool kCostlyDecision = false;  // CPU only: nothing to gain from the step loop
  const DecideFn* fn;
  int64_t path;
  Decision decide(const Observation& o) const { return (*fn)(o, path); }
};

struct Recorder {
  static constexpr bool kEvents = true;
  Records* r;
  int64_t path;
  void step(int64_t, double t, int64_t bid, int64_t ask, const Quotes& q, int64_t inv, double cash, double wealth) {
    const double tick = tick_;
    r->step_path.push_back(static_cast<double>(path));
    r->step_time.push_back(t);
    r->step_bid.push_back(static_cast<double>(bid) * tick);
    r->step_ask.push_back(static_cast<double>(ask) * tick);
    r->step_quote_bid.push_back(q.has_bid ? static_cast<double>(q.bid) * tick : NAN);
    r->step_quote_ask.push_back(q.has_ask ? static_cast<double>(q.ask) * tick : NAN);
    r->step_inventory.push_back(static_cast<double>(inv));
    r->step_cash.push_back(cash);
    r->step_wealth.push_back(wealth);
  }
  void fill(int64_t k, double t, int side, double px, double fee, bool maker, int64_t inv, double cash, int64_t bid, int64_t ask) {
    const double tick = tick_;
    r->fill_path.push_back(static_cast<double>(path));
    r->fill_step.push_back(static_cast<double>(k));
    r->fill_time.push_back(t);
    r->fill_side.push_back(side);
    r->fill_price.push_back(px * tick);
    r->fill_fee.push_back(fee);
    r->fill_maker.push_back(maker ? 1.0 : 0.0);
    r->fill_inventory.push_back(static_cast<double>(inv));
    r->fill_cash.push_back(cash);
    r->fill_bid.push_back(static_cast<double>(bid) * tick);
    r->fill_ask.push_back(static_cast<double>(ask) * tick);
  }
  void event(int64_t k, double t, int type, bool agent, int64_t bid, int64_t ask, const double* intensity) {
    const double tick = tick_;
    r->event_path.push_back(static_cast<double>(path));
    r->event_step.push_back(static_cast<double>(k));
    r->event_time.push_back(t);
    r->event_type.push_back(type);
    r->event_agent.push_back(agent ? 1.0 : 0.0);
    r->event_bid.push_back(static_cast<double>(bid) * tick);
    r->event_ask.push_back(static_cast<double>(ask) * tick);
    r->event_intensity.insert(r->event_intensity.end(), intensity, intensity + 8);
  }
  double tick_;
};

constexpr int64_t kMaxBlock = 64;
int64_t block_size(int64_t paths) { return std::max<int64_t>(1, std::min<int64_t>(kMaxBlock, paths / 16)); }

// Paths run a few at a time, interleaved event by event: a path's next event waits on a long
// chain of log()/exp() latency, and independent paths fill those stalls (as in hawkes_simulate).
constexpr int kLanes = 4;

struct Lane {
  int64_t index = -1;  // into the result arrays, -1: idle
  hawkes::BatchRng market, coins, noise;
  HawkesTables tables;
  PathState state;
  std::vector<double> y, next, decay, mu, cdf;
  std::vector<float> scratch;
};

struct Worker {
  const hawkes::HawkesModel& model;
  const BacktestOptions& opt;
  const StrategySpec& strategy;
  hawkes::SimulateControl* control;
  BacktestResult& result;
  Lane lanes[kLanes];
  LobTables lob;

  Worker(const hawkes::HawkesModel& m, const BacktestOptions& o, const StrategySpec& st, hawkes::SimulateControl* c, BacktestResult& r)
      : model(m), opt(o), strategy(st), control(c), result(r) {
    for (Lane& lane : lanes) {
      lane.y.resize(m.comps());
      lane.next.resize(m.groups());
      lane.decay.resize(m.groups());
      lane.mu.resize(m.dims());
      lane.cdf.resize(m.dims());
      lane.scratch.resize(2 * kMaxMlpWidth);
      lane.state = PathState{0.0, 0.0, lane.y.data(), lane.next.data(), lane.decay.data()};
    }
    lob = LobTables{opt.lob.jump_location, opt.lob.jump_scale};
  }

  bool cancelled() const { return control != nullptr && control->cancel.load(std::memory_order_relaxed); }

  void prepare_lane(Lane& lane, int64_t i) {
    lane.index = i;
    const uint64_t path = static_cast<uint64_t>(opt.first_path + i);
    hawkes::rng_init(lane.market, opt.spec.seed, path);
    hawkes::rng_init(lane.coins, opt.spec.seed ^ kCoinKey, path);
    lane.tables = model.tables();
    if (opt.spec.noise_std > 0.0) {
      hawkes::rng_init(lane.noise, opt.spec.seed ^ kNoiseKey, path);
      perturb_baseline(lane.tables, model.tables(), opt.spec.noise_std, lane.noise, lane.mu.data(), lane.cdf.data());
    }
  }

  GridOut grid_of(int64_t i) {
    const int64_t G = opt.spec.grid;
    if (G == 0) return GridOut{nullptr, nullptr, nullptr};
    return GridOut{result.grid_gross.data() + i * G, result.grid_maker.data() + i * G, result.grid_taker.data() + i * G};
  }

  void store(int64_t i, const PathResult& out) {
    result.pnl[i] = out.pnl;
    result.gross_pnl[i] = out.gross_pnl;
    result.maker_notional[i] = out.maker_notional;
    result.taker_notional[i] = out.taker_notional;
    result.cash[i] = out.cash;
    result.mid[i] = out.mid;
    result.map[i] = out.map;
    result.reward[i] = out.reward;
    result.inventory[i] = static_cast<double>(out.inventory);
    result.trades[i] = static_cast<double>(out.trades);
    result.events[i] = static_cast<double>(out.events);
    if (control) {
      control->events_done.fetch_add(out.events, std::memory_order_relaxed);
      control->paths_done.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // Paths [first, end), kLanes at a time; a path's results never depend on its neighbours.
  template <int N, bool G1, class Strategy, class Recorder>
  void run_lanes(int64_t first, int64_t end, Strategy* strategies, Recorder* recorders) {
    using Run = PathRun<N, G1, hawkes::BatchRng, Strategy, Recorder>;
    Run runs[kLanes];
    int64_t next_path = first;
    int active = 0;
    auto launch = [&](int l) {
      Lane& lane = lanes[l];
      prepare_lane(lane, next_path);
      strategies[l] = make_strategy<Strategy>(lane, opt.first_path + next_path);
      recorders[l].path = opt.first_path + next_path;
      runs[l] = Run{&lane.tables, &lob, &opt.spec, &strategies[l], &lane.market, &lane.coins, &lane.state, &recorders[l], grid_of(next_path)};
      runs[l].start();
      ++next_path;
      ++active;
    };
    for (int l = 0; l < kLanes && next_path < end; ++l) launch(l);
    int64_t ticks = 0;
    while (active > 0) {
      for (int l = 0; l < kLanes; ++l) {
        Lane& lane = lanes[l];
        if (lane.index < 0) continue;
        if (runs[l].advance()) continue;
        PathResult out{};
        runs[l].finish(out);
        store(lane.index, out);
        lane.index = -1;
        --active;
        if (next_path < end) launch(l);
      }
      if ((++ticks & 0xffff) == 0 && cancelled()) return;
    }
  }

  template <class Strategy>
  Strategy make_strategy(Lane& lane, int64_t path) {
    if constexpr (std::is_same_v<Strategy, SymStrategy>) {
      return SymStrategy{};
    } else if constexpr (std::is_same_v<Strategy, LinStrategy>) {
      return strategy.lin;
    } else if constexpr (std::is_same_v<Strategy, CallbackStrategy>) {
      return CallbackStrategy{&strategy.decide, path};
    } else {
      return Strategy{&strategy.policy->view, CpuForward{}, lane.scratch.data()};
    }
  }

  template <int N, bool G1, class Strategy>
  void run_strategy(int64_t first, int64_t end) {
    Strategy strategies[kLanes];
    if (opt.record) {
      // Records are kept in path order: one lane.
      Recorder rec{&result.records, 0, opt.spec.tick};
      for (int64_t i = first; i < end && !cancelled(); ++i) {
        Strategy st = make_strategy<Strategy>(lanes[0], opt.first_path + i);
        prepare_lane(lanes[0], i);
        rec.path = opt.first_path + i;
        PathResult out{};
        run_path<N, G1>(lanes[0].tables, lob, opt.spec, st, lanes[0].market, lanes[0].coins, lanes[0].state, out, grid_of(i), rec);
        store(i, out);
        lanes[0].index = -1;
      }
      return;
    }
    NoRecorder recorders[kLanes];
    run_lanes<N, G1>(first, end, strategies, recorders);
  }

  template <int N, bool G1>
  void run_range(int64_t first, int64_t end) {
    switch (strategy.kind) {
      case StrategyKind::Sym: return run_strategy<N, G1, SymStrategy>(first, end);
      case StrategyKind::Lin: return run_strategy<N, G1, LinStrategy>(first, end);
      case StrategyKind::Policy: return run_strategy<N, G1, PolicyStrategy<CpuForward>>(first, end);
      case StrategyKind::Callback: return run_strategy<N, G1, CallbackStrategy>(first, end);
    }
  }

  void run_range_dispatch(int64_t first, int64_t end) {
    if (model.comps() == 8 && model.groups() == 1) return run_range<8, true>(first, end);
    if (model.comps() == 8) return run_range<8, false>(first, end);
    return run_range<0, false>(first, end);
  }
};

}  // namespace

std::unique_ptr<Policy> load_policy(const uint8_t* bytes, size_t size) {
  SafetensorsView file;
  try {
    file = parse_safetensors(bytes, size);
  } catch (const Error& e) {
    bad_policy(std::string("the policy file is not valid safetensors: ") + e.what());
  }
  auto p = std::make_unique<Policy>();
  MlpView& v = p->view;
  int layers = 0;
  while (file.find("layers." + std::to_string(layers) + ".weight") != nullptr) ++layers;
  if (layers == 0) bad_policy("tensor \"layers.0.weight\" is missing (expected layers.<i>.weight [out, in] and layers.<i>.bias [out])");
  if (layers > kMaxMlpLayers) bad_policy("the policy has " + std::to_string(layers) + " layers, at most " + std::to_string(kMaxMlpLayers) + " are supported");
  for (const TensorView& t : file.tensors) {
    bool known = false;
    for (int l = 0; l < layers; ++l) {
      if (t.name == "layers." + std::to_string(l) + ".weight" || t.name == "layers." + std::to_string(l) + ".bias") known = true;
    }
    if (!known) bad_policy("unexpected tensor \"" + t.name + "\" (expected layers.<i>.weight and layers.<i>.bias for i < " + std::to_string(layers) + ")");
  }
  v.layers = layers;
  v.width[0] = kPolicyInputs;
  for (int l = 0; l < layers; ++l) {
    const std::string wn = "layers." + std::to_string(l) + ".weight", bn = "layers." + std::to_string(l) + ".bias";
    const TensorView* w = file.find(wn);
    const TensorView* b = file.find(bn);
    if (b == nullptr) bad_policy("tensor \"" + bn + "\" is missing");
    if (w->shape.size() != 2 || w->shape[1] != v.width[l]) {
      bad_policy("tensor \"" + wn + "\" must have shape [out, " + std::to_string(v.width[l]) + "]");
    }
    const int64_t n_out = w->shape[0];
    const int64_t want = l + 1 == layers ? kPolicyOutputs : -1;
    if (want > 0 && n_out != want) bad_policy("tensor \"" + wn + "\" must have " + std::to_string(want) + " outputs (bid and ask offsets), got " + std::to_string(n_out));
    if (n_out < 1 || n_out > kMaxMlpWidth) bad_policy("tensor \"" + wn + "\" has " + std::to_string(n_out) + " outputs, at most " + std::to_string(kMaxMlpWidth) + " are supported");
    if (b->shape.size() != 1 || b->shape[0] != n_out) bad_policy("tensor \"" + bn + "\" must have shape [" + std::to_string(n_out) + "]");
    v.width[l + 1] = static_cast<int>(n_out);
    const std::vector<float> wf = tensor_floats(*w);
    std::vector<float> wt(wf.size());
    const int n_in = v.width[l];
    for (int64_t o = 0; o < n_out; ++o) {
      for (int i = 0; i < n_in; ++i) wt[static_cast<size_t>(i) * n_out + o] = wf[static_cast<size_t>(o) * n_in + i];
    }
    p->weight_t.push_back(std::move(wt));
    p->bias.push_back(tensor_floats(*b));
  }
  for (int l = 0; l < layers; ++l) {
    v.weight_t[l] = p->weight_t[l].data();
    v.bias[l] = p->bias[l].data();
  }
  const auto mean = metadata_numbers(file.metadata, "input_mean", kPolicyInputs, true, 0);
  const auto stdv = metadata_numbers(file.metadata, "input_std", kPolicyInputs, true, 1);
  for (int i = 0; i < kPolicyInputs; ++i) {
    if (!(stdv[i] > 0)) bad_policy("metadata \"input_std\" entries must be > 0, got " + format_number(stdv[i]) + " at index " + std::to_string(i));
    if (static_cast<float>(stdv[i]) == 0) {  // every input would be divided by zero
      bad_policy("metadata \"input_std\" entries must be > 0 in float32 (the network's precision), got " + format_number(stdv[i]) + " at index " + std::to_string(i) + ", which rounds to 0");
    }
    v.input_mean[i] = static_cast<float>(mean[i]);
    v.input_std[i] = static_cast<float>(stdv[i]);
  }
  const auto scale = metadata_numbers(file.metadata, "output_scale", kPolicyOutputs, false, 1);
  const auto offset = metadata_numbers(file.metadata, "output_offset", kPolicyOutputs, false, 0);
  for (int j = 0; j < kPolicyOutputs; ++j) {
    v.output_scale[j] = static_cast<float>(scale[j]);
    v.output_offset[j] = static_cast<float>(offset[j]);
  }
  auto from = file.metadata.find("offsets_from");
  v.offsets_from_best = 0;
  if (from != file.metadata.end()) {
    if (from->second == "best") {
      v.offsets_from_best = 1;
    } else if (from->second != "mid") {
      bad_policy("metadata \"offsets_from\" must be \"mid\" or \"best\", got \"" + from->second + "\"");
    }
  }
  auto act = file.metadata.find("output_activation");
  v.output_tanh = 0;
  if (act != file.metadata.end()) {
    if (act->second == "tanh") {
      v.output_tanh = 1;
    } else if (act->second != "none") {
      bad_policy("metadata \"output_activation\" must be \"none\" or \"tanh\", got \"" + act->second + "\"");
    }
  }
  return p;
}

void check_lob_params(const hawkes::HawkesParams& params) {
  hawkes::validate_params(params, false);
  if (params.dims != 8) bad_option("hawkes must have 8 dimensions (the LOB event types), got " + std::to_string(params.dims));
}

double noise_std(double variance) {
  if (!(variance >= 0) || !std::isfinite(variance)) bad_option("noiseVariance must be a finite number >= 0, got " + format_number(variance));
  return std::sqrt(variance);
}

void validate_backtest_options(const BacktestOptions& o) {
  const BacktestSpec& s = o.spec;
  if (!std::isfinite(s.horizon) || s.horizon <= 0) bad_option("horizon must be a finite number of seconds > 0, got " + format_number(s.horizon));
  if (!std::isfinite(s.dt) || s.dt <= 0) bad_option("dt must be a finite number of seconds > 0, got " + format_number(s.dt));
  const double steps = limits::backtest_steps(s.horizon, s.dt);
  if (steps > limits::kMaxSteps) bad_option("horizon / dt must be at most 1e9 steps, got " + format_number(steps));
  if (!std::isfinite(s.tick) || s.tick <= 0) bad_option("tick must be a finite number > 0, got " + format_number(s.tick));
  if (o.paths < 1 || o.paths > limits::kMaxPaths) bad_option("paths must be an integer >= 1, got " + std::to_string(o.paths));
  if (o.threads < 1 || o.threads > limits::kMaxSimulationThreads) {
    bad_option("threads must be an integer in [1, " + std::to_string(limits::kMaxSimulationThreads) + "], got " + std::to_string(o.threads));
  }
  if (s.inventory_limit < 1) bad_option("inventoryLimit must be an integer >= 1, got " + std::to_string(s.inventory_limit));
  const double z[3] = {s.z1, s.z2, s.z3};
  for (int i = 0; i < 3; ++i) {
    if (!(z[i] >= 0 && z[i] <= 1)) bad_option("Z" + std::to_string(i + 1) + " must be a probability in [0, 1], got " + format_number(z[i]));
  }
  if (!(s.fill_at_sweep_stop >= 0 && s.fill_at_sweep_stop <= 1)) {
    bad_option("fillAtSweepStop must be a probability in [0, 1], got " + format_number(s.fill_at_sweep_stop));
  }
  if (s.event_loop != kExactLoop && s.event_loop != kPublishedLoop && s.event_loop != kPublishedFixedLoop) {
    bad_option("eventLoop must be 'exact', 'published' or 'published-fixed', got " + std::to_string(s.event_loop));
  }
  if (!std::isfinite(s.phi) || s.phi < 0) bad_option("phi must be a finite number >= 0, got " + format_number(s.phi));
  if (!(s.fee_maker > -1 && s.fee_maker < 1)) bad_option("fees.maker must be a rate in (-1, 1), got " + format_number(s.fee_maker));
  if (!(s.fee_taker > -1 && s.fee_taker < 1)) bad_option("fees.taker must be a rate in (-1, 1), got " + format_number(s.fee_taker));
  if (!std::isfinite(s.noise_std) || s.noise_std < 0) bad_option("noise variance must be a finite number >= 0, got " + format_number(s.noise_std * s.noise_std));
  if (s.grid < 0 || s.grid > 100000) bad_option("timeGrid must be an integer in [0, 100000], got " + std::to_string(s.grid));
  // Results are 11 doubles per path plus 3 per path and grid point: keep them within 4 GiB so a
  // huge run fails here with a clear message instead of exhausting the host.
  const double doubles = static_cast<double>(o.paths) * (11.0 + 3.0 * static_cast<double>(s.grid));
  if (doubles > static_cast<double>(int64_t{1} << 29)) {
    throw Error("ERR_OUT_OF_MEMORY", "the results of " + std::to_string(o.paths) + " paths with timeGrid " + std::to_string(s.grid) +
                                         " need more than 4 GiB; run fewer paths per call (seeds and paths are independent) or lower timeGrid (0 turns it off)");
  }
  if (o.record && static_cast<double>(o.paths) * steps > static_cast<double>(kMaxRecordedSteps)) {
    bad_option("record keeps every step: paths x steps must be at most " + std::to_string(kMaxRecordedSteps) + ", got " + format_number(static_cast<double>(o.paths) * steps));
  }
  if (o.lob.initial_ask - o.lob.initial_bid < 1) bad_option("initialAsk must be at least one tick above initialBid");
  for (int k = 0; k < 8; ++k) {
    const double jump[2] = {o.lob.jump_location[k], o.lob.jump_scale[k]};
    for (int j = 0; j < 2; ++j) {
      const std::string field = std::string(j == 0 ? "jumps.location[" : "jumps.scale[") + std::to_string(k) + "]";
      if (!std::isfinite(jump[j]) || jump[j] < 0) bad_option(field + " must be a finite number >= 0 ticks, got " + format_number(jump[j]));
      if (jump[j] > kMaxJumpTicks) bad_option(field + " must be at most " + format_number(kMaxJumpTicks) + " ticks, got " + format_number(jump[j]));
    }
  }
}

void check_event_budget(const hawkes::HawkesParams& params, const BacktestSpec& spec) {
  hawkes::HawkesParams raised = params;
  for (double& m : raised.mu) m += 6.0 * spec.noise_std;
  double rate = 0;
  for (double v : hawkes::stationary_intensity(raised)) rate += v;
  const double expected = rate * spec.horizon;
  if (!(expected <= kMaxExpectedEventsPerPath)) {
    bad_option("the order flow is too fast for the horizon: about " + format_number(expected) + " events per path expected (stationary rate " +
               format_number(rate) + " events/s with each baseline raised by 6 noise standard deviations, times horizon " +
               format_number(spec.horizon) + " s), at most " + format_number(kMaxExpectedEventsPerPath) +
               "; lower hawkes.mu, noiseVariance or horizon");
  }
}

void check_run(const hawkes::HawkesModel& model, const BacktestOptions& options, const StrategySpec& strategy) {
  validate_backtest_options(options);
  if (model.dims() != 8) bad_option("the backtest needs the 8-dimensional LOB model, got " + std::to_string(model.dims()) + " dimensions");
  check_event_budget(model.params(), options.spec);
  if (strategy.kind == StrategyKind::Policy && strategy.policy == nullptr) bad_option("strategy.policy is missing");
}

MarketMakingEnv::MarketMakingEnv(const hawkes::HawkesModel& model, const BacktestOptions& options) : model_(model), options_(options) {
  StrategySpec sym;
  check_run(model, options_, sym);
  y_.resize(model.comps());
  next_.resize(model.groups());
  decay_.resize(model.groups());
  mu_.resize(model.dims());
  cdf_.resize(model.dims());
  state_ = PathState{0.0, 0.0, y_.data(), next_.data(), decay_.data()};
  lob_ = LobTables{options_.lob.jump_location, options_.lob.jump_scale};
  reset(0);
}

void MarketMakingEnv::reset(int64_t path) {
  const uint64_t p = static_cast<uint64_t>(path);
  hawkes::rng_init(market_, options_.spec.seed, p);
  hawkes::rng_init(coins_, options_.spec.seed ^ kCoinKey, p);
  tables_ = model_.tables();
  if (options_.spec.noise_std > 0.0) {
    hawkes::rng_init(noise_, options_.spec.seed ^ kNoiseKey, p);
    perturb_baseline(tables_, model_.tables(), options_.spec.noise_std, noise_, mu_.data(), cdf_.data());
  }
  run_ = Run{&tables_, &lob_, &options_.spec, &unused_strategy_, &market_, &coins_, &state_, &no_recorder_, GridOut{nullptr, nullptr, nullptr}};
  run_.reset();
}

PathResult MarketMakingEnv::result() {
  PathResult out{};
  run_.finish(out);
  return out;
}

std::vector<BacktestResult> run_backtests(const std::vector<RunRef>& runs, hawkes::SimulateControl* control) {
  for (const RunRef& r : runs) check_run(*r.model, *r.options, *r.strategy);
  std::vector<BacktestResult> results;
  for (const RunRef& r : runs) {
    if (control && control->cancel.load()) {
      results.emplace_back().cancelled = true;
      continue;
    }
    results.push_back(run_backtest(*r.model, *r.options, *r.strategy, control));
  }
  return results;
}

BacktestResult run_backtest(const hawkes::HawkesModel& model, const BacktestOptions& options, const StrategySpec& strategy,
                            hawkes::SimulateControl* control) {
  check_run(model, options, strategy);
  const int64_t P = options.paths;
  BacktestResult r;
  for (auto* v : r.per_path()) v->assign(static_cast<size_t>(P), 0.0);
  const size_t gsize = static_cast<size_t>(P) * static_cast<size_t>(options.spec.grid);
  r.grid_gross.assign(gsize, 0.0);
  r.grid_maker.assign(gsize, 0.0);
  r.grid_taker.assign(gsize, 0.0);
  // Records and the JS callback are single-threaded (the callback must run on the JS thread).
  const bool single = options.record || strategy.kind == StrategyKind::Callback;
  const int threads = single ? 1 : static_cast<int>(std::min<int64_t>(options.threads, P));
  const int64_t block = block_size(P);
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&]() {
    try {
      Worker w(model, options, strategy, control, r);
      for (;;) {
        const int64_t first = next.fetch_add(block);
        if (first >= P || w.cancelled()) return;
        w.run_range_dispatch(first, std::min(P, first + block));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      if (control) control->cancel.store(true);
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) {
    // Where the system refuses another thread, the run goes on with those it has (blocks are
    // handed out dynamically); letting the exception out would destroy joinable threads.
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  if (control && control->cancel.load()) r.cancelled = true;
  return r;
}

}  // namespace hawkgraph::backtest
