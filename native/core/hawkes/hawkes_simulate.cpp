#include "hawkes_simulate.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "../cpu_features.hpp"
#include "../error.hpp"
#include "../limits.hpp"
#include "hawkes_simulate_paths.hpp"

namespace hawkgraph::hawkes {
namespace {

[[noreturn]] void bad_option(const std::string& message) { throw Error("ERR_INVALID_OPTION", message); }

// Paths are handed out in blocks; statistics are summed inside a block in path order and the
// block sums in block order, so floating-point sums do not depend on the thread count. The block
// size depends only on the number of paths: small blocks keep every thread busy on few paths, and
// at least 8 paths a block fill the vector lanes (and the scalar driver's interleaved lanes).
constexpr int64_t kMaxBlock = 256;
constexpr int64_t kMinBlock = 8;

// The work items of a run [a, a + paths) of a whole run of `total` paths: the whole run's blocks,
// except that a block the run covers only in part (a shard's first or last) is cut into items of
// one path, whose rows are the paths' own. Computed per item, so a long run allocates nothing.
struct BlockPlan {
  int64_t block, head, mid_first, mid_end, mid_blocks, tail_first, tail;

  BlockPlan(int64_t a, int64_t paths, int64_t total) : block(stats_block_size(total)) {
    const int64_t b = a + paths;
    mid_first = a % block == 0 ? a : std::min(b, (a / block + 1) * block);
    head = mid_first - a;
    const int64_t last = (b - 1) / block * block;  // the first path of the block holding path b - 1
    const bool tail_cut = last >= mid_first && b < std::min(last + block, total);
    mid_end = tail_cut ? last : std::max(mid_first, b);
    tail_first = mid_end;
    tail = b - tail_first;
    mid_blocks = (mid_end - mid_first + block - 1) / block;
  }
  int64_t items() const { return head + mid_blocks + tail; }
  // Item i's absolute paths [first, end).
  std::pair<int64_t, int64_t> item(int64_t i, int64_t a) const {
    if (i < head) return {a + i, a + i + 1};
    i -= head;
    if (i < mid_blocks) return {mid_first + i * block, std::min(mid_end, mid_first + (i + 1) * block)};
    i -= mid_blocks;
    return {tail_first + i, tail_first + i + 1};
  }
};

// One path in flight: its generator, state and running statistics.
struct Lane {
  int64_t path = -1;
  BatchRng rng;
  PathState state;
  std::vector<double> y, next, decay, counts;
  PathEvents* out = nullptr;
  PathTally tally;
  double last = 0;
};

// Runs the paths of a block a few at a time, interleaved event by event: one path's next event
// depends on a long chain of log()/exp() latency, and independent paths fill those stalls.
constexpr int kLanes = 4;

struct Worker {
  const BlockRun& run;
  EventArena& arena;
  const HawkesModel& model;
  const SimulateOptions& opt;
  SimulateControl* control;
  Lane lanes[kLanes];
  std::vector<double> path_rows;  // per-path statistics of the current block, summed in path order
  LobTables lob_tables{nullptr, nullptr};
  const LaneSimulator lanes_simulator;  // a vector simulator runs this model's blocks, or None
  int64_t events_unreported = 0;         // events of finished paths not yet in control->events_done

  Worker(const BlockRun& r, EventArena& a)
      : run(r), arena(a), model(r.model), opt(r.opt), control(r.control), lanes_simulator(lane_simulator(r.model, r.opt)) {
    for (Lane& lane : lanes) {
      lane.y.resize(model.comps());
      lane.next.resize(model.groups());
      lane.decay.resize(model.groups());
      lane.counts.resize(model.dims());
      lane.state = PathState{0.0, 0.0, lane.y.data(), lane.next.data(), lane.decay.data()};
    }
    path_rows.resize(static_cast<size_t>(kMaxBlock) * stats_row_width(model.dims()));
    if (opt.lob) lob_tables = LobTables{opt.lob->jump_location, opt.lob->jump_scale};
  }

  bool cancelled() const { return control != nullptr && control->cancel.load(std::memory_order_relaxed); }

  void start(Lane& lane, int64_t p, PathEvents* out) {
    lane.path = p;
    lane.out = out;
    rng_init(lane.rng, opt.seed, static_cast<uint64_t>(opt.first_path + p));
    hawkes_init(model.tables(), lane.state, lane.rng);
    std::fill(lane.counts.begin(), lane.counts.end(), 0.0);
    lane.tally = PathTally{};
    lane.tally.bid = opt.lob ? opt.lob->initial_bid : 0;
    lane.tally.ask = opt.lob ? opt.lob->initial_ask : 0;
    lane.last = 0;
  }

  // Advances a lane by one event; false when its path is complete.
  template <bool Exact, int N, bool G1>
  bool advance(Lane& lane) {
    const HawkesTables& m = model.tables();
    PathState& s = lane.state;
    double lambda = 0;
    const int type = Exact ? exact_step<N, G1>(m, s, lane.rng, opt.end_time, &lambda)
                           : thinning_step<N, G1>(m, s, lane.rng, opt.end_time, &lambda);
    if (type < 0) return false;
    PathTally& tally = lane.tally;
    const double gap = s.t - lane.last;
    const double has_gap = tally.n > 0 ? 1.0 : 0.0;
    tally.gap_sum += has_gap * gap;
    tally.gap_sq += has_gap * gap * gap;
    lane.last = s.t;
    lane.counts[type] += 1;
    int64_t j = 0;
    if (opt.lob) j = lob_apply(lob_tables, lane.rng, type, tally.bid, tally.ask);
    if (lane.out) {
      if ((tally.n & (kStoredChunk - 1)) == 0) count_stored_chunk(run);
      lane.out->append(arena, run.columns, s.t, type, lambda, tally.bid, tally.ask, j);
    }
    ++tally.n;
    if (tally.n >= opt.max_events) {
      if (lane.out) lane.out->truncated = true;
      return false;
    }
    if ((tally.n & (kCancelPollEvents - 1)) == 0 && control) {
      control->events_done.fetch_add(kCancelPollEvents, std::memory_order_relaxed);
      if (cancelled()) return false;
    }
    return true;
  }

  void finish(Lane& lane, double* row) {
    events_unreported += lane.tally.n & (kCancelPollEvents - 1);
    write_stats_row(model.tables(), opt, lane.state, lane.tally, lane.counts.data(), row);
    lane.path = -1;
  }

  // Runs paths [first, end) and adds their statistics, in path order, to block_row.
  template <bool Exact, int N, bool G1 = false>
  void run_block(int64_t first, int64_t end, double* block_row) {
    const int W = stats_row_width(model.dims());
    std::vector<PathEvents>& events = run.events;
    int64_t next_path = first;
    int active = 0;
    for (Lane& lane : lanes) {
      if (next_path < end) {
        start(lane, next_path, opt.stats_only ? nullptr : &events[next_path]);
        ++next_path;
        ++active;
      }
    }
    while (active > 0) {
      for (Lane& lane : lanes) {
        if (lane.path < 0) continue;
        if (advance<Exact, N, G1>(lane)) continue;
        if (cancelled()) return;
        finish(lane, path_rows.data() + (lane.path - first) * W);
        if (next_path < end) {
          start(lane, next_path, opt.stats_only ? nullptr : &events[next_path]);
          ++next_path;
        } else {
          --active;
        }
      }
    }
    // Once a block: an atomic add per path stalls on the stores before it, a cost that shows on
    // runs of many short paths.
    if (control) {
      control->paths_done.fetch_add(end - first, std::memory_order_relaxed);
      control->events_done.fetch_add(events_unreported, std::memory_order_relaxed);
    }
    events_unreported = 0;
    sum_rows(first, end, block_row);
  }

  void sum_rows(int64_t first, int64_t end, double* block_row) const {
    const int W = stats_row_width(model.dims());
    for (int64_t p = first; p < end; ++p) {
      for (int j = 0; j < W; ++j) block_row[j] += path_rows[(p - first) * W + j];
    }
  }

  // A vector simulator where it applies; else the common component counts get their own
  // unrolled instantiation.
  void run_block_dispatch(int64_t first, int64_t end, double* block_row) {
    if (lanes_simulator != LaneSimulator::None) {
      const bool done = lanes_simulator == LaneSimulator::Avx512
                            ? simulate_block_avx512(run, arena, first, end, path_rows.data())
                            : simulate_block_avx2(run, arena, first, end, path_rows.data());
      if (done) sum_rows(first, end, block_row);
      return;
    }
    const bool exact = opt.method == Method::Exact;
    switch (model.comps()) {
      case 1: return exact ? run_block<true, 1>(first, end, block_row) : run_block<false, 1>(first, end, block_row);
      case 2: return exact ? run_block<true, 2>(first, end, block_row) : run_block<false, 2>(first, end, block_row);
      case 4: return exact ? run_block<true, 4>(first, end, block_row) : run_block<false, 4>(first, end, block_row);
      case 8:
        if (model.groups() == 1) {
          return exact ? run_block<true, 8, true>(first, end, block_row) : run_block<false, 8, true>(first, end, block_row);
        }
        return exact ? run_block<true, 8>(first, end, block_row) : run_block<false, 8>(first, end, block_row);
      case 16: return exact ? run_block<true, 16>(first, end, block_row) : run_block<false, 16>(first, end, block_row);
      case 32: return exact ? run_block<true, 32>(first, end, block_row) : run_block<false, 32>(first, end, block_row);
      default: return exact ? run_block<true, 0>(first, end, block_row) : run_block<false, 0>(first, end, block_row);
    }
  }
};

// One contiguous run of events: a chunk of a stored path, or a whole result column.
struct EventSpan {
  size_t n;
  const double* times;
  const int32_t* types;
  const double* intensity;
  const double* bid;
  const double* ask;
  const int32_t* jump;
};

void copy_span(const EventSpan& e, const EventColumnsOut& out, size_t at, double tick) {
  const size_t n = e.n;
  if (out.times) std::copy_n(e.times, n, out.times + at);
  if (out.types) std::copy_n(e.types, n, out.types + at);
  if (out.intensity && e.intensity) std::copy_n(e.intensity, n, out.intensity + at);
  if (out.jump && e.jump) std::copy_n(e.jump, n, out.jump + at);
  if (!e.bid || !e.ask) return;
  for (size_t i = 0; i < n; ++i) {
    if (out.bid) out.bid[at + i] = e.bid[i] * tick;
    if (out.ask) out.ask[at + i] = e.ask[i] * tick;
    if (out.mid) out.mid[at + i] = 0.5 * (e.bid[i] + e.ask[i]) * tick;
  }
}

}  // namespace

void count_stored_chunk(const BlockRun& run) {
  if (run.stored->fetch_add(kStoredChunk, std::memory_order_relaxed) + kStoredChunk > run.opt.max_stored_events) {
    throw_too_many_events(run.opt.max_stored_events);
  }
}

void write_stats_row(const HawkesTables& m, const SimulateOptions& opt, PathState& s, const PathTally& tally,
                     const double* counts, double* row) {
  const int D = m.dims;
  // Intensity at end_time (or at the last event of a truncated path).
  decay_to(m, s, tally.n >= opt.max_events ? s.t : opt.end_time);
  namespace r = stats_row;
  row[r::kEvents] = static_cast<double>(tally.n);
  row[r::kGaps] = tally.n > 0 ? static_cast<double>(tally.n - 1) : 0.0;
  row[r::kGapSum] = tally.gap_sum;
  row[r::kGapSquares] = tally.gap_sq;
  const double dmid =
      opt.lob ? 0.5 * static_cast<double>(tally.bid + tally.ask - opt.lob->initial_bid - opt.lob->initial_ask) : 0.0;
  row[r::kMidChangeSum] = dmid;
  row[r::kMidChangeSquares] = dmid * dmid;
  for (int k = 0; k < D; ++k) {
    row[r::counts(D) + k] = counts[k];
    row[r::count_squares(D) + k] = counts[k] * counts[k];
    row[r::terminal_intensity(D) + k] = dim_intensity(m, s, k);
  }
}

LaneSimulator lane_simulator(const HawkesModel& model, const SimulateOptions& opt) {
  if (opt.method != Method::Exact || model.comps() != model.dims()) return LaneSimulator::None;
  const char* table = std::getenv("HAWKGRAPH_CPU_KERNELS");
  const bool portable = table != nullptr && std::strcmp(table, "portable") == 0;
  const bool at_most_avx2 = table != nullptr && std::strcmp(table, "avx2") == 0;
  const CpuFeatures& cpu = cpu_features();
  if (portable) return LaneSimulator::None;
  if (!at_most_avx2 && avx512_simulator_built() && cpu.avx512f && cpu.avx512dq) return LaneSimulator::Avx512;
  if (avx2_simulator_built() && cpu.avx2 && cpu.fma) return LaneSimulator::Avx2;
  return LaneSimulator::None;
}

void check_intensity_bound(const HawkesParams& p, int64_t max_events) {
  const int D = p.dims;
  double mu_sum = 0, max_column = 0;
  for (int k = 0; k < D; ++k) mu_sum += p.mu[k];
  for (int l = 0; l < D; ++l) {
    double column = 0;
    for (int k = 0; k < D; ++k) column += p.alpha[k * D + l];
    max_column = std::max(max_column, column);
  }
  const double peak = mu_sum + static_cast<double>(max_events) * max_column;
  if (!(peak <= 1e300)) {
    bad_option("maxEvents " + std::to_string(max_events) + " could raise the intensity to " + format_number(peak) +
               " (sum of mu + maxEvents x the largest column sum of alpha), more than 1e300, near the float64 limit: lower maxEvents or alpha");
  }
}

int64_t stats_block_size(int64_t paths) {
  return std::max(std::min(paths, kMinBlock), std::min(kMaxBlock, paths / 64));
}

void throw_too_many_events(int64_t limit) {
  throw Error("ERR_OUT_OF_MEMORY", "the simulation would store more than " + std::to_string(limit) +
                                       " events; use statsOnly, fewer paths, a shorter endTime or a smaller maxEvents");
}

void validate_simulate_options(const SimulateOptions& o) {
  if (!std::isfinite(o.end_time) || o.end_time <= 0) {
    bad_option("endTime must be a finite number > 0, got " + format_number(o.end_time));
  }
  if (o.paths < 1 || o.paths > limits::kMaxPaths) bad_option("paths must be an integer >= 1, got " + std::to_string(o.paths));
  if (o.max_events < 1) bad_option("maxEvents must be an integer >= 1, got " + std::to_string(o.max_events));
  if (o.threads < 1 || o.threads > limits::kMaxSimulationThreads) {
    bad_option("threads must be an integer in [1, " + std::to_string(limits::kMaxSimulationThreads) + "], got " + std::to_string(o.threads));
  }
  if (o.first_path < 0) bad_option("firstPath must be an integer >= 0, got " + std::to_string(o.first_path));
  if (o.total_paths != 0 && (o.total_paths < o.first_path + o.paths || o.total_paths > limits::kMaxPaths)) {
    bad_option("totalPaths must be an integer in [" + std::to_string(o.first_path + o.paths) + ", " + std::to_string(limits::kMaxPaths) +
               "] (at least firstPath + paths), got " + std::to_string(o.total_paths));
  }
  if (o.total_paths == 0 && o.first_path + o.paths > limits::kMaxPaths) {
    bad_option("firstPath + paths must be at most " + std::to_string(limits::kMaxPaths) + ", got " + std::to_string(o.first_path + o.paths));
  }
  if (o.max_stored_events < 1) bad_option("maxStoredEvents must be an integer >= 1, got " + std::to_string(o.max_stored_events));
  // Each stored path costs bookkeeping even when empty.
  if (!o.stats_only && o.paths > std::max<int64_t>(1, o.max_stored_events / 16)) {
    throw Error("ERR_OUT_OF_MEMORY", "storing the events of " + std::to_string(o.paths) +
                                         " paths needs too much memory (at most maxStoredEvents / 16 = " +
                                         std::to_string(o.max_stored_events / 16) + " paths); use statsOnly");
  }
  if (o.lob) {
    if (o.lob->initial_ask - o.lob->initial_bid < 1) {
      bad_option("initialAsk must be at least one tick above initialBid (got a spread of " +
                 std::to_string(o.lob->initial_ask - o.lob->initial_bid) + " ticks)");
    }
    // Bounded so a jump (at most location + 37 scales: the largest Exp(1) draw of a 53-bit
    // uniform) always fits the integer tick arithmetic.
    constexpr double kMaxJumpTicks = limits::kMaxJumpTicks;
    const std::string range = "[0, " + format_number(kMaxJumpTicks) + "]";
    for (int k = 0; k < 8; ++k) {
      const double location = o.lob->jump_location[k], scale = o.lob->jump_scale[k];
      if (!(location >= 0 && location <= kMaxJumpTicks)) {
        bad_option("jumps.location[" + std::to_string(k) + "] must be a number in " + range + " ticks, got " + format_number(location));
      }
      if (!(scale >= 0 && scale <= kMaxJumpTicks)) {
        bad_option("jumps.scale[" + std::to_string(k) + "] must be a number in " + range + " ticks, got " + format_number(scale));
      }
    }
  }
}

void check_tick(double tick) {
  if (!(tick > 0) || !std::isfinite(tick)) bad_option("tick must be a finite number > 0, got " + format_number(tick));
}

size_t event_count(const SimulateResult& r) {
  if (!r.stored) return r.times.size();
  size_t n = 0;
  for (const PathEvents& e : r.stored->paths) n += static_cast<size_t>(e.count);
  return n;
}

void copy_event_columns(const SimulateResult& r, const EventColumnsOut& out, double tick) {
  auto data = [](const auto& v) { return v.empty() ? nullptr : v.data(); };
  if (!r.stored) {
    copy_span(EventSpan{r.times.size(), r.times.data(), r.types.data(), data(r.intensity), data(r.bid), data(r.ask),
                        data(r.jump)},
              out, 0, tick);
    return;
  }
  size_t at = 0;
  for (const PathEvents& e : r.stored->paths) {
    for (const EventChunk* c = e.head; c != nullptr; c = c->next) {
      const size_t n = static_cast<size_t>(c->next != nullptr ? c->capacity : e.fill);
      copy_span(EventSpan{n, c->times, c->types, c->intensity, c->bid, c->ask, c->jump}, out, at, tick);
      at += n;
    }
  }
}

SimulateResult simulate(const HawkesModel& model, const SimulateOptions& opt, SimulateControl* control) {
  validate_simulate_options(opt);
  if (opt.lob && model.dims() != 8) bad_option("the LOB model needs an 8-dimensional Hawkes process, got " + std::to_string(model.dims()));
  const int D = model.dims();
  const int W = stats_row_width(D);
  const int64_t P = opt.paths;
  const BlockPlan plan(opt.first_path, P, opt.total_paths == 0 ? opt.first_path + P : opt.total_paths);
  const int64_t blocks = plan.items();
  // Rounds of at most kRoundBlocks blocks: their sums are folded in block order after each round,
  // so memory stays bounded whatever the number of paths.
  constexpr int64_t kRoundBlocks = 4096;
  std::vector<double> totals(W, 0.0);
  std::vector<double> block_rows;
  if (opt.block_rows) block_rows.reserve(static_cast<size_t>(blocks) * W);
  std::vector<double> block_stats(static_cast<size_t>(std::min(blocks, kRoundBlocks)) * W);
  std::vector<PathEvents> events(opt.stats_only ? 0 : static_cast<size_t>(P));
  std::atomic<int64_t> stored{0};
  const BlockRun run{model, opt, control, &stored, events, EventColumns{opt.intensity, opt.lob != nullptr}};
  std::vector<EventArena> arenas(static_cast<size_t>(opt.threads));  // one per thread, alive until the events are gathered
  std::exception_ptr failure;
  std::mutex failure_mutex;
  bool stop = false;

  for (int64_t round = 0; round < blocks && !stop; round += kRoundBlocks) {
    const int64_t round_blocks = std::min(kRoundBlocks, blocks - round);
    std::fill(block_stats.begin(), block_stats.end(), 0.0);
    std::atomic<int64_t> next_block{0};
    auto work = [&](int thread) {
      try {
        Worker w(run, arenas[static_cast<size_t>(thread)]);
        for (;;) {
          const int64_t b = next_block.fetch_add(1);
          if (b >= round_blocks || w.cancelled()) return;
          const auto [first, end] = plan.item(round + b, opt.first_path);
          w.run_block_dispatch(first - opt.first_path, end - opt.first_path, block_stats.data() + b * W);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        if (control) control->cancel.store(true);
      }
    };
    const int threads = static_cast<int>(std::min<int64_t>(opt.threads, round_blocks));
    std::vector<std::thread> pool;
    pool.reserve(threads > 0 ? threads - 1 : 0);
    for (int i = 1; i < threads; ++i) {
      // Where the system refuses another thread the run goes on with those it has (blocks are
      // handed out dynamically, so results do not change); letting the exception out would
      // destroy joinable threads and abort the process.
      try {
        pool.emplace_back(work, i);
      } catch (const std::system_error&) {
        break;
      }
    }
    work(0);
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    for (int64_t b = 0; b < round_blocks; ++b) {
      for (int j = 0; j < W; ++j) totals[j] += block_stats[b * W + j];
    }
    if (opt.block_rows) block_rows.insert(block_rows.end(), block_stats.begin(), block_stats.begin() + round_blocks * W);
    stop = control && control->cancel.load();
  }

  SimulateResult r;
  if (control && control->cancel.load()) {
    r.cancelled = true;
    return r;
  }
  r.stats = std::move(totals);
  r.block_rows = std::move(block_rows);
  r.stats_block = plan.block;
  if (opt.stats_only) return r;
  r.path_offsets.reserve(static_cast<size_t>(P) + 1);
  r.truncated.reserve(static_cast<size_t>(P));
  r.path_offsets.push_back(0);
  double at = 0;
  for (const PathEvents& e : events) {
    at += static_cast<double>(e.count);
    r.path_offsets.push_back(at);
    r.truncated.push_back(e.truncated ? 1 : 0);
  }
  auto stored_events = std::make_shared<StoredEvents>();
  stored_events->arenas = std::move(arenas);
  stored_events->paths = std::move(events);
  r.stored = std::move(stored_events);
  return r;
}

}  // namespace hawkgraph::hawkes
