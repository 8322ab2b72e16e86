// Full-depth book paths and their labelled snapshots (depth_simulate.hpp).
//
// Exact simulation: between events the book, so the baseline rates (limit and market orders, and
// cancellations in proportion to the resting units), is constant, and the excitation decays as
// exp(-beta t) as a whole (one beta). The next event is the earlier of the baseline's exponential
// clock and the excitation's first arrival (hawkes::decaying_first_arrival); its class is drawn in
// proportion to the baseline rates or to the excitation components.
#include "depth_simulate.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <thread>

#include "../book.hpp"
#include "../error.hpp"
#include "../limits.hpp"
#include "depth_book.hpp"

namespace hawkgraph::depth {
namespace {

[[noreturn]] void bad(const std::string& message) { throw Error("ERR_INVALID_OPTION", message); }

void check_number(double v, const char* name, double lo, bool lo_open, double hi) {
  const bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (!ok) bad(std::string(name) + " must be a finite number " + (lo_open ? "> " : ">= ") + format_number(lo) + ", got " + format_number(v));
}

// The path's events as (time, mid) after each one, and the running sum of squared mid changes,
// for the labels; reused path after path.
struct EventLog {
  struct Entry {
    double time, mid, squares;
  };
  std::vector<Entry> entries;  // one growth check an event, not three
  void clear() { entries.clear(); }
  size_t size() const { return entries.size(); }
  const Entry& operator[](size_t i) const { return entries[i]; }
  void add(double t, double m) {
    const double change = entries.empty() ? 0.0 : m - entries.back().mid;
    entries.push_back({t, m, (entries.empty() ? 0.0 : entries.back().squares) + change * change});
  }
};

// A path's snapshots written in place: slots [0, n) of a block sized beforehand.
struct FixedSink {
  SnapshotColumns base;
  int levels;
  SnapshotColumns slot(size_t i) const {
    const size_t w = 4 * static_cast<size_t>(levels);
    return {base.columns + i * w, base.counts + 2 * i, base.time + i, base.mid + i,
            base.move + i, base.magnitude + i, base.volatility + i, base.direction + i};
  }
  SnapshotColumns finish(size_t) const { return base; }
};

// A path's snapshots grown one at a time (snapshots after every event: their number is not known).
struct GrowSink {
  PathSnapshots* out;
  int levels;
  SnapshotColumns slot(size_t i) {
    out->columns.resize((i + 1) * 4 * static_cast<size_t>(levels));
    out->counts.resize(2 * (i + 1));
    out->time.resize(i + 1);
    out->mid.resize(i + 1);
    return {&out->columns[i * 4 * static_cast<size_t>(levels)], &out->counts[2 * i], &out->time[i], &out->mid[i], nullptr, nullptr, nullptr, nullptr};
  }
  SnapshotColumns finish(size_t n) {
    out->move.resize(n);
    out->magnitude.resize(n);
    out->volatility.resize(n);
    out->direction.resize(n);
    return {out->columns.data(), out->counts.data(), out->time.data(), out->mid.data(),
            out->move.data(), out->magnitude.data(), out->volatility.data(), out->direction.data()};
  }
};

class PathSimulator {
 public:
  explicit PathSimulator(const DepthRun& run)
      : run_(run), p_(run.params), s_(run.snapshots), book_(p_), fixed_(snapshots_per_path(run.snapshots)) {}

  // Simulates path `path` into the sink, counting its events by class; false once cancelled (the
  // sink then half full).
  template <class Sink>
  bool simulate(int64_t path, Sink& sink, std::array<int64_t, kClasses>& by_class, hawkes::SimulateControl* control) {
    by_class.fill(0);
    hawkes::rng_init(rng_, run_.seed, static_cast<uint64_t>(path));
    book_.reset(rng_);
    y_.fill(0.0);
    log_.clear();
    seen_.clear();
    int64_t events = 0;
    double t = 0;
    log_.add(0.0, book_.mid());
    const double first = s_.warmup, last = s_.warmup + s_.duration;
    double next_at = first;  // the next fixed-interval snapshot's time (first + interval * snapshots so far)
    // Snapshots every `interval` from the warm-up (fixed_ of them), or after every event in
    // [warmup, warmup + duration].
    for (;;) {
      const double rates[kClasses] = {p_.market_rate, p_.market_rate, book_.limit_total(), book_.limit_total(),
                                      book_.cancel_total(true), book_.cancel_total(false)};
      double base = 0, excitation = 0;
      for (double r : rates) base += r;
      for (double y : y_) excitation += y;
      const double dt_base = base > 0 ? -std::log(hawkes::rng_uniform(rng_)) / base : hawkes::kNever;
      const double dt_exc = excitation > 0 ? hawkes::decaying_first_arrival(rng_, excitation, p_.beta) : hawkes::kNever;
      const double dt = std::min(dt_base, dt_exc);
      const double t_next = t + dt;
      while (next_at < t_next && static_cast<int64_t>(seen_.size()) < fixed_) {
        record(sink, next_at);
        next_at = first + s_.interval * static_cast<double>(seen_.size());
      }
      if (done(t_next, last)) break;
      const double decay = std::exp(-p_.beta * dt);
      for (double& y : y_) y *= decay;
      t = t_next;
      const int cls = dt_base <= dt_exc ? pick(rates, base) : pick(y_.data(), excitation * decay);
      book_.apply(cls, rng_);
      ++by_class[cls];
      for (int k = 0; k < kClasses; ++k) y_[k] += p_.alpha[k * kClasses + cls];
      log_.add(t, book_.mid());
      ++events;
      if (fixed_ < 0 && t >= first && t <= last) record(sink, t);
      if ((events & 0xFFFF) == 0 && control != nullptr) {
        control->events_done.fetch_add(0x10000, std::memory_order_relaxed);
        if (control->cancel.load(std::memory_order_relaxed)) return false;
      }
    }
    label(sink.finish(seen_.size()));
    return true;
  }

 private:
  // Stops once every snapshot is taken and the horizon of the last one simulated.
  bool done(double t_next, double last) const {
    if (t_next <= last || (fixed_ >= 0 && static_cast<int64_t>(seen_.size()) < fixed_)) return false;
    if (s_.horizon_events > 0) {
      const int64_t needed = seen_.empty() ? 0 : static_cast<int64_t>(seen_.back()) + s_.horizon_events;
      return static_cast<int64_t>(log_.size()) - 1 >= needed;
    }
    return t_next > last + s_.horizon_seconds;
  }

  int pick(const double* w, double total) {
    double u = hawkes::rng_uniform32(rng_) * total;
    int k = 0;
    for (; k + 1 < kClasses; ++k) {
      u -= w[k];
      if (u < 0 && w[k] > 0) break;
    }
    while (w[k] <= 0 && k > 0) --k;  // rounding past the last class with weight
    return k;
  }

  // The book now, as a slot of the packed batch layout: the best `levels` non-empty levels a side.
  template <class Sink>
  void record(Sink& sink, double t) {
    const int L = s_.levels;
    const SnapshotColumns at = sink.slot(seen_.size());
    at.counts[0] = side(book_.bids(), book_.bid_price(), -1, at.columns, at.columns + L);
    at.counts[1] = side(book_.asks(), book_.ask_price(), +1, at.columns + 2 * L, at.columns + 3 * L);
    *at.time = t;
    *at.mid = book_.mid() * p_.tick;
    seen_.push_back(log_.size() - 1);  // the log entry the snapshot sees
  }

  // One side's levels, the unused ones 0 (as BookBatch slots are).
  int side(const std::vector<int64_t>& q, int64_t best, int away, double* px, double* sz) const {
    int n = 0;
    for (int j = 0; j < p_.window && n < s_.levels; ++j) {
      if (q[j] == 0) continue;
      px[n] = static_cast<double>(best + away * j) * p_.tick;
      sz[n] = static_cast<double>(q[j]);
      ++n;
    }
    for (int k = n; k < s_.levels; ++k) px[k] = sz[k] = 0.0;
    return n;
  }

  // Each snapshot's label from the path's own future: the mid move to the horizon, its magnitude
  // and the realised volatility of the mid over it.
  void label(const SnapshotColumns& out) {
    size_t end = 0;  // the last log entry at or before the horizon (time horizons, walked forward)
    for (size_t i = 0; i < seen_.size(); ++i) {
      const size_t now = seen_[i];
      if (s_.horizon_events > 0) {
        end = std::min(log_.size() - 1, now + static_cast<size_t>(s_.horizon_events));
      } else {
        const double until = out.time[i] + s_.horizon_seconds;
        end = std::max(end, now);
        while (end + 1 < log_.size() && log_[end + 1].time <= until) ++end;
      }
      const double move = log_[end].mid - log_[now].mid;
      out.move[i] = move;
      out.magnitude[i] = -std::expm1(-std::fabs(move) / s_.magnitude_scale);
      out.volatility[i] = std::sqrt(std::max(0.0, log_[end].squares - log_[now].squares));
      out.direction[i] = move > s_.flat_band ? 2 : move < -s_.flat_band ? 0 : 1;
    }
  }

  const DepthRun& run_;
  const DepthParams& p_;
  const SnapshotSpec& s_;
  DepthBook book_;
  int64_t fixed_;  // snapshots a path at a fixed interval; -1: after every event
  Rng rng_{};
  std::array<double, kClasses> y_{};
  EventLog log_;
  std::vector<size_t> seen_;  // per snapshot so far: the log entry it saw
};

// Paths [0, run.paths) on run.threads threads, each handed to `one(sim, p)`; the lowest thread's
// error is rethrown.
template <class One>
void for_each_path(const DepthRun& run, hawkes::SimulateControl* control, One one) {
  std::vector<std::exception_ptr> errors(static_cast<size_t>(run.threads));
  std::atomic<int64_t> next{0};
  auto worker = [&](int id) {
    try {
      PathSimulator sim(run);
      for (int64_t p = next.fetch_add(1); p < run.paths; p = next.fetch_add(1)) {
        if (control != nullptr && control->cancel.load(std::memory_order_relaxed)) return;
        one(sim, p);
        if (control != nullptr) control->paths_done.fetch_add(1, std::memory_order_relaxed);
      }
    } catch (...) {
      errors[static_cast<size_t>(id)] = std::current_exception();
    }
  };
  const int threads = static_cast<int>(std::min<int64_t>(run.threads, run.paths));
  std::vector<std::thread> pool;
  for (int q = 1; q < threads; ++q) pool.emplace_back(worker, q);
  worker(0);
  for (auto& t : pool) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace

double depth_excitation_radius(const DepthParams& p) {
  // Power iteration on the nonnegative 6 x 6 branching matrix alpha / beta.
  std::array<double, kClasses> v{}, w{};
  v.fill(1.0);
  double radius = 0;
  for (int it = 0; it < 500; ++it) {
    double norm = 0;
    for (int k = 0; k < kClasses; ++k) {
      w[k] = 0;
      for (int l = 0; l < kClasses; ++l) w[k] += p.alpha[k * kClasses + l] / p.beta * v[l];
      norm = std::max(norm, w[k]);
    }
    if (norm == 0) return 0;
    for (int k = 0; k < kClasses; ++k) v[k] = w[k] / norm + 1e-12;  // the shift keeps reducible matrices converging
    radius = norm;
  }
  return radius;
}

void validate_depth_params(const DepthParams& p) {
  if (p.window < 1 || p.window > limits::kMaxDepthWindow) {
    bad("window must be an integer in [1, " + std::to_string(limits::kMaxDepthWindow) + "], got " + std::to_string(p.window));
  }
  if (p.limit_rate.size() != static_cast<size_t>(p.window) || p.cancel_rate.size() != static_cast<size_t>(p.window)) {
    bad("limitRate and cancelRate must have window (" + std::to_string(p.window) + ") entries, got " +
        std::to_string(p.limit_rate.size()) + " and " + std::to_string(p.cancel_rate.size()));
  }
  double limit_total = 0;
  for (int i = 0; i < p.window; ++i) {
    const std::string at = "[" + std::to_string(i) + "]";
    check_number(p.limit_rate[i], ("limitRate" + at).c_str(), 0, false, limits::kMaxDepthRate);
    check_number(p.cancel_rate[i], ("cancelRate" + at).c_str(), 0, false, limits::kMaxDepthRate);
    limit_total += p.limit_rate[i];
  }
  if (!(limit_total > 0)) bad("limitRate must have an entry > 0 (a book without limit orders empties), got all 0");
  check_number(p.market_rate, "marketRate", 0, false, limits::kMaxDepthRate);
  check_number(p.limit_size_mean, "limitSizeMean", 1, false, limits::kMaxDepthSizeMean);
  check_number(p.market_size_mean, "marketSizeMean", 1, false, limits::kMaxDepthSizeMean);
  check_number(p.far_depth, "farDepth", 0, true, limits::kMaxDepthSizeMean);
  check_number(p.beta, "beta", 0, true, limits::kMaxDepthRate);
  for (int q = 0; q < kClasses * kClasses; ++q) {
    const std::string name = "alpha[" + std::to_string(q / kClasses) + "][" + std::to_string(q % kClasses) + "]";
    check_number(p.alpha[q], name.c_str(), 0, false, limits::kMaxDepthRate);
  }
  check_number(p.tick, "tick", 0, true, std::numeric_limits<double>::max());
  if (!(std::fabs(static_cast<double>(p.initial_bid)) <= limits::kMaxTicks && std::fabs(static_cast<double>(p.initial_ask)) <= limits::kMaxTicks &&
        p.initial_bid < p.initial_ask)) {
    bad("the initial bid must be below the initial ask (ticks within +-2^52), got " + std::to_string(p.initial_bid) + " and " +
        std::to_string(p.initial_ask));
  }
  const double radius = depth_excitation_radius(p);
  if (!(radius < 1)) {
    throw Error("ERR_HAWKES_UNSTABLE", "the spectral radius of alpha / beta is " + format_number(radius) +
                                           ": the excitation between event classes must be below 1 or the order flow explodes");
  }
}

void validate_depth_run(const DepthRun& run) {
  validate_depth_params(run.params);
  const SnapshotSpec& s = run.snapshots;
  if (s.levels < 1 || s.levels > run.params.window) {
    bad("levels must be an integer in [1, window = " + std::to_string(run.params.window) + "], got " + std::to_string(s.levels));
  }
  check_number(s.interval, "interval", 0, false, limits::kMaxDepthSeconds);
  check_number(s.warmup, "warmup", 0, false, limits::kMaxDepthSeconds);
  check_number(s.duration, "duration", 0, true, limits::kMaxDepthSeconds);
  const bool by_time = s.horizon_seconds > 0, by_events = s.horizon_events > 0;
  if (by_time == by_events) bad("the label horizon must be given in seconds or in events (one of them > 0)");
  if (by_time) check_number(s.horizon_seconds, "horizon.seconds", 0, true, limits::kMaxDepthSeconds);
  if (by_events && s.horizon_events > limits::kMaxDepthHorizonEvents) {
    bad("horizon.events must be at most " + std::to_string(limits::kMaxDepthHorizonEvents) + ", got " + std::to_string(s.horizon_events));
  }
  check_number(s.flat_band, "flatBand", 0, false, limits::kMaxTicks);
  check_number(s.magnitude_scale, "magnitudeScale", 0, true, limits::kMaxTicks);
  if (run.paths < 1 || run.paths > limits::kMaxPaths) bad("paths must be an integer in [1, 2^40], got " + std::to_string(run.paths));
  if (run.threads < 1 || run.threads > limits::kMaxSimulationThreads) {
    bad("threads must be an integer in [1, " + std::to_string(limits::kMaxSimulationThreads) + "], got " + std::to_string(run.threads));
  }
  const DepthParams& p = run.params;
  double limit_total = 0;
  for (double r : p.limit_rate) limit_total += r;
  // In a steady book cancellations remove about what limit orders bring: at most 2 limit_total.
  const double rate = (2 * p.market_rate + 4 * limit_total) / (1 - depth_excitation_radius(p));
  const double expected = rate * (s.warmup + s.duration + (s.horizon_seconds > 0 ? s.horizon_seconds : 0));
  if (expected > limits::kMaxDepthExpectedEventsPerPath) {
    bad("a path would hold about " + format_number(std::round(expected)) + " events (at most " +
        format_number(limits::kMaxDepthExpectedEventsPerPath) + "): shorter paths (warmup + duration), more of them");
  }
  if (s.interval > 0) {
    const double books = static_cast<double>(run.paths) * static_cast<double>(snapshots_per_path(s));
    const double bytes = books * (32.0 * s.levels + 64.0);
    if (bytes > static_cast<double>(limits::kMaxDepthOutputBytes)) {
      bad("the run would make " + format_number(books) + " snapshots (" + format_number(std::round(bytes / 1048576)) +
          " MiB): at most " + std::to_string(limits::kMaxDepthOutputBytes >> 20) + " MiB a call; fewer paths, a shorter duration or a longer interval");
    }
  }
}

int64_t snapshots_per_path(const SnapshotSpec& s) {
  if (!(s.interval > 0)) return -1;
  // Every k with warmup + k * interval <= warmup + duration, as the loop computes the times.
  int64_t n = static_cast<int64_t>(std::floor(s.duration / s.interval)) + 1;
  while (n > 1 && s.warmup + s.interval * static_cast<double>(n - 1) > s.warmup + s.duration) --n;
  while (s.warmup + s.interval * static_cast<double>(n) <= s.warmup + s.duration) ++n;
  return n;
}

std::vector<PathSnapshots> simulate_depth(const DepthRun& run, hawkes::SimulateControl* control, bool* cancelled) {
  validate_depth_run(run);
  std::vector<PathSnapshots> out(static_cast<size_t>(run.paths));
  for_each_path(run, control, [&](PathSimulator& sim, int64_t p) {
    PathSnapshots& path = out[static_cast<size_t>(p)];
    GrowSink sink{&path, run.snapshots.levels};
    if (sim.simulate(p, sink, path.class_events, control)) {
      path.events = 0;
      for (int64_t c : path.class_events) path.events += c;
    } else {
      path.events = -1;
    }
  });
  if (cancelled != nullptr) *cancelled = control != nullptr && control->cancel.load();
  return out;
}

void simulate_depth_into(const DepthRun& run, const SnapshotColumns& out, double* class_events, hawkes::SimulateControl* control) {
  validate_depth_run(run);
  const int64_t n = snapshots_per_path(run.snapshots);
  if (n < 0) bad("simulate_depth_into needs snapshots at a fixed interval > 0");
  const size_t w = 4 * static_cast<size_t>(run.snapshots.levels);
  for_each_path(run, control, [&](PathSimulator& sim, int64_t p) {
    const size_t at = static_cast<size_t>(p) * static_cast<size_t>(n);
    FixedSink sink{{out.columns + at * w, out.counts + 2 * at, out.time + at, out.mid + at, out.move + at, out.magnitude + at,
                    out.volatility + at, out.direction + at},
                   run.snapshots.levels};
    std::array<int64_t, kClasses> by_class{};
    sim.simulate(p, sink, by_class, control);
    for (int c = 0; c < kClasses; ++c) class_events[p * kClasses + c] = static_cast<double>(by_class[c]);
  });
}

}  // namespace hawkgraph::depth
