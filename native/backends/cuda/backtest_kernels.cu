// Market-making backtests on the GPU: one path per thread, running the very PathRun the CPU
// runs (core/backtest/backtest_step.hpp, compiled here as __host__ __device__), with the same
// Philox streams. Each thread keeps its Hawkes state, book, quotes and counters in registers /
// local memory and writes its path's results (and its wealth grid) once; no event touches
// global memory. Launches cover at most kPathsPerLaunch paths so progress and cancellation are
// checked between them. The policy network's weights sit in device memory; every thread of a
// warp reads the same weight at the same time, so they are served from L1 as broadcasts.
#include <cuda_runtime.h>

#include <algorithm>
#include <utility>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../../core/error.hpp"
#include "backtest_cuda.hpp"
#include "cuda_check.cuh"
#include "hawkes_device_model.cuh"

namespace hawkgraph::cuda {
namespace {

using backtest::BacktestSpec;
using backtest::GridOut;
using backtest::MlpView;
using backtest::PathResult;
using hawkes::HawkesTables;
using hawkes::PathRng;
using hawkes::PathState;

constexpr int kThreadsPerBlock = 128;
constexpr int64_t kPathsPerLaunch = 1 << 16;
constexpr int kMaxComps = 64;

struct KernelArgs {
  HawkesTables m;
  hawkes::LobTables lob;
  BacktestSpec spec;
  int kind;  // 0 sym, 1 lin, 2 policy
  backtest::LinStrategy lin;
  MlpView mlp;
  int64_t path_base, path_count;
  double* out;   // [kOutFields * path_count], field-major
  double* grid;  // [3 * path_count * grid] or null
};

constexpr int kOutFields = backtest::BacktestResult::kPerPathFields;

template <int N, bool G1, class Strategy>
__device__ void run_thread(const KernelArgs& a, const Strategy& st, int64_t i) {
  constexpr int C = N > 0 ? N : kMaxComps;
  double y[C], next[G1 ? 1 : kMaxComps], decay[G1 ? 1 : kMaxComps], mu[8], cdf[8];
  PathState s{0.0, 0.0, y, next, decay};
  const uint64_t path = static_cast<uint64_t>(a.path_base + i);
  PathRng market, coins, noise;
  hawkes::rng_init(market, a.spec.seed, path);
  hawkes::rng_init(coins, a.spec.seed ^ backtest::kCoinKey, path);
  HawkesTables m = a.m;
  if (a.spec.noise_std > 0.0) {
    hawkes::rng_init(noise, a.spec.seed ^ backtest::kNoiseKey, path);
    backtest::perturb_baseline(m, a.m, a.spec.noise_std, noise, mu, cdf);
  }
  const int64_t G = a.spec.grid;
  GridOut grid{nullptr, nullptr, nullptr};
  if (a.grid != nullptr && G > 0) {
    grid.gross = a.grid + i * G;
    grid.maker = a.grid + (a.path_count + i) * G;
    grid.taker = a.grid + (2 * a.path_count + i) * G;
  }
  PathResult r{};
  backtest::NoRecorder rec;
  backtest::run_path<N, G1>(m, a.lob, a.spec, st, market, coins, s, r, grid, rec);
  const int64_t P = a.path_count;
  double* o = a.out;
  o[0 * P + i] = r.pnl;
  o[1 * P + i] = r.gross_pnl;
  o[2 * P + i] = r.maker_notional;
  o[3 * P + i] = r.taker_notional;
  o[4 * P + i] = r.cash;
  o[5 * P + i] = r.mid;
  o[6 * P + i] = r.map;
  o[7 * P + i] = r.reward;
  o[8 * P + i] = static_cast<double>(r.inventory);
  o[9 * P + i] = static_cast<double>(r.trades);
  o[10 * P + i] = static_cast<double>(r.events);
}

template <int N, bool G1>
__global__ void backtest_kernel(KernelArgs a) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= a.path_count) return;
  if (a.kind == 0) {
    run_thread<N, G1>(a, backtest::SymStrategy{}, i);
  } else if (a.kind == 1) {
    run_thread<N, G1>(a, a.lin, i);
  } else {
    float scratch[2 * backtest::kMaxMlpWidth];
    backtest::PolicyStrategy<backtest::InlineForward> st{&a.mlp, backtest::InlineForward{}, scratch};
    run_thread<N, G1>(a, st, i);
  }
}

// A stream of its own per run, so the runs of a study share the device instead of queueing.
class Stream {
 public:
  Stream() { CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (stream_) cudaStreamDestroy(stream_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

// One run on the device: its model, jump tables and policy weights uploaded once, then its paths
// in launches of at most kPathsPerLaunch, each collected into the host result before the next.
class DeviceRun {
 public:
  DeviceRun(const hawkes::HawkesModel& model, const backtest::BacktestOptions& o, const backtest::StrategySpec& strategy)
      : o_(o), model_(model), lob_(16), launch_(std::min(o.paths, kPathsPerLaunch)),
        out_(static_cast<size_t>(kOutFields * launch_)), grid_(static_cast<size_t>(3 * launch_ * o.spec.grid)),
        fast_(model.comps() == 8 && model.groups() == 1) {
    double lob_host[16];
    std::memcpy(lob_host, o.lob.jump_location, sizeof(double) * 8);
    std::memcpy(lob_host + 8, o.lob.jump_scale, sizeof(double) * 8);
    lob_.upload(lob_host, 16);
    a_.m = model_.tables;
    a_.lob = hawkes::LobTables{lob_.ptr, lob_.ptr + 8};
    a_.spec = o.spec;
    a_.kind = strategy.kind == backtest::StrategyKind::Sym ? 0 : strategy.kind == backtest::StrategyKind::Lin ? 1 : 2;
    a_.lin = strategy.lin;
    if (a_.kind == 2) upload_policy(*strategy.policy);
    const int64_t P = o.paths, G = o.spec.grid;
    for (auto* f : r_.per_path()) f->assign(static_cast<size_t>(P), 0.0);
    r_.grid_gross.assign(static_cast<size_t>(P * G), 0.0);
    r_.grid_maker.assign(static_cast<size_t>(P * G), 0.0);
    r_.grid_taker.assign(static_cast<size_t>(P * G), 0.0);
  }

  bool done() const { return base_ >= o_.paths; }
  int64_t next_launch_paths() const { return std::min(launch_, o_.paths - base_); }

  // Launches the next paths on `stream`, threads_per_block threads a block.
  void launch(cudaStream_t stream, int threads_per_block) {
    count_ = next_launch_paths();
    a_.path_base = o_.first_path + base_;
    a_.path_count = count_;
    a_.out = out_.ptr;
    a_.grid = o_.spec.grid > 0 ? grid_.ptr : nullptr;
    const unsigned blocks = static_cast<unsigned>((count_ + threads_per_block - 1) / threads_per_block);
    if (fast_) {
      backtest_kernel<8, true><<<blocks, threads_per_block, 0, stream>>>(a_);
    } else {
      backtest_kernel<0, false><<<blocks, threads_per_block, 0, stream>>>(a_);
    }
    CUDA_CHECK(cudaGetLastError());
  }

  // After the launch's stream has finished: its paths into the host result.
  void collect(hawkes::SimulateControl* control) {
    const int64_t count = count_, base = base_, G = o_.spec.grid;
    host_.resize(static_cast<size_t>(kOutFields * count));
    out_.download(host_.data(), host_.size());
    const auto fields = r_.per_path();
    for (int f = 0; f < kOutFields; ++f) {
      std::copy(host_.begin() + f * count, host_.begin() + (f + 1) * count, fields[f]->begin() + base);
    }
    double events = 0;
    for (int64_t i = 0; i < count; ++i) events += host_[10 * count + i];
    if (G > 0) {
      host_grid_.resize(static_cast<size_t>(3 * count * G));
      grid_.download(host_grid_.data(), host_grid_.size());
      std::copy(host_grid_.begin(), host_grid_.begin() + count * G, r_.grid_gross.begin() + base * G);
      std::copy(host_grid_.begin() + count * G, host_grid_.begin() + 2 * count * G, r_.grid_maker.begin() + base * G);
      std::copy(host_grid_.begin() + 2 * count * G, host_grid_.end(), r_.grid_taker.begin() + base * G);
    }
    base_ += count;
    if (control) {
      control->paths_done.fetch_add(count);
      control->events_done.fetch_add(static_cast<int64_t>(events));
    }
  }

  backtest::BacktestResult take(bool cancelled) {
    r_.cancelled = cancelled;
    return std::move(r_);
  }

 private:
  void upload_policy(const backtest::Policy& policy) {
    a_.mlp = policy.view;
    for (int l = 0; l < a_.mlp.layers; ++l) {
      const auto& w = policy.weight_t[l];
      const auto& b = policy.bias[l];
      weights_.push_back(std::make_unique<DeviceArray<float>>(w.size()));
      weights_.back()->upload(w.data(), w.size());
      a_.mlp.weight_t[l] = weights_.back()->ptr;
      weights_.push_back(std::make_unique<DeviceArray<float>>(b.size()));
      weights_.back()->upload(b.data(), b.size());
      a_.mlp.bias[l] = weights_.back()->ptr;
    }
  }

  const backtest::BacktestOptions& o_;
  DeviceModel model_;
  DeviceArray<double> lob_;
  std::vector<std::unique_ptr<DeviceArray<float>>> weights_;
  int64_t launch_;
  DeviceArray<double> out_, grid_;
  bool fast_;
  KernelArgs a_{};
  int64_t base_ = 0, count_ = 0;
  std::vector<double> host_, host_grid_;
  backtest::BacktestResult r_;
};

// backtest::check_run, then what the device cannot run: callbacks, records, too many components.
void check_device_run(const hawkes::HawkesModel& model, const backtest::BacktestOptions& o, const backtest::StrategySpec& strategy) {
  backtest::check_run(model, o, strategy);
  if (strategy.kind == backtest::StrategyKind::Callback) {
    throw Error("ERR_INVALID_OPTION", "strategy: a JS callback runs on the CPU only (backend 'cuda' needs 'sym', lin or policy)");
  }
  if (o.record) throw Error("ERR_INVALID_OPTION", "record is supported by the cpu backend only");
  if (model.comps() > kMaxComps) {
    throw Error("ERR_INVALID_OPTION", "backend 'cuda' supports at most " + std::to_string(kMaxComps) + " kernel components per path");
  }
}

}  // namespace

std::vector<backtest::BacktestResult> backtest_run_many(const std::vector<backtest::RunRef>& runs,
                                                        hawkes::SimulateControl* control) {
  for (const auto& r : runs) check_device_run(*r.model, *r.options, *r.strategy);
  require_device();
  std::vector<std::unique_ptr<DeviceRun>> device;
  std::vector<std::unique_ptr<Stream>> streams;
  for (const auto& r : runs) {
    device.push_back(std::make_unique<DeviceRun>(*r.model, *r.options, *r.strategy));
    streams.push_back(std::make_unique<Stream>());
  }
  int id = 0, sms = 1;
  CUDA_CHECK(cudaGetDevice(&id));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, id));
  bool cancelled = false;
  // Rounds: every unfinished run launches its next paths on its own stream, then all are collected
  // (cancellation and progress are checked between rounds).
  for (;;) {
    int64_t round_paths = 0;
    for (const auto& d : device) round_paths += d->done() ? 0 : d->next_launch_paths();
    if (round_paths == 0) break;
    if (control && control->cancel.load()) {
      cancelled = true;
      break;
    }
    // A path is one long serial chain, so a round of a few thousand paths is latency-bound: spread
    // it over every multiprocessor (one warp a block) rather than packing it into a few blocks.
    const int threads_per_block = round_paths < static_cast<int64_t>(sms) * kThreadsPerBlock ? 32 : kThreadsPerBlock;
    std::vector<size_t> launched;
    for (size_t i = 0; i < device.size(); ++i) {
      if (device[i]->done()) continue;
      device[i]->launch(streams[i]->get(), threads_per_block);
      launched.push_back(i);
    }
    for (size_t i : launched) {
      CUDA_CHECK(cudaStreamSynchronize(streams[i]->get()));
      device[i]->collect(control);
    }
  }
  std::vector<backtest::BacktestResult> results;
  for (auto& d : device) results.push_back(d->take(cancelled));
  return results;
}

backtest::BacktestResult backtest_run(const hawkes::HawkesModel& model, const backtest::BacktestOptions& o,
                                      const backtest::StrategySpec& strategy, hawkes::SimulateControl* control) {
  return std::move(backtest_run_many({backtest::RunRef{&model, &o, &strategy}}, control).front());
}

}  // namespace hawkgraph::cuda
