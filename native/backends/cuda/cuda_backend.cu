// The CUDA inference backend: weights uploaded once (fp16, or fp32 for precision 'fp32'), device
// and pinned staging buffers preallocated for the largest bucket, one CUDA graph per bucket
// (copy in, kernel, copy out) captured at creation and replayed per call, and for single books a
// persistent kernel polling mapped host memory, used when it measures faster at creation.
// Every CUDA call is checked; a failure throws hawkgraph::Error(ERR_CUDA) with the error's name
// and leaves the backend refusing further work (the engine may then fall back to the CPU).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "cuda_backend.hpp"
#include "cuda_check.cuh"
#include "gnn_cuda_staged.hpp"
#include "gnn_cuda_math.hpp"
#include "gnn_kernels.cuh"

namespace hawkgraph::cuda {
namespace {

using Clock = std::chrono::steady_clock;

// A bucket's replay or a single answer past these is treated as a lost device, never waited on
// forever. Generous: the largest bucket takes milliseconds.
constexpr auto kBatchTimeout = std::chrono::seconds(10);
constexpr auto kSingleTimeout = std::chrono::seconds(1);
// The persistent kernel leaves after this long without a request (see launch_gnn_persistent).
constexpr unsigned long long kPersistentIdleNs = 100ull * 1000 * 1000;

[[noreturn]] void fail(cudaError_t err, const std::string& what) {
  throw Error("ERR_CUDA", std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err) + " (" + what + ")");
}

class CudaBackend final : public StagedBackend {
 public:
  CudaBackend(const GnnModel& m, const CudaBackendOptions& o, const KernelLayout& batch, const KernelLayout& single,
              const cudaDeviceProp& prop)
      : StagedBackend(m, o.precision, batch, o.host_threads), single_layout_(single), device_name_(prop.name), device_(o.device) {
    try {
      init(prop, o);
    } catch (...) {
      release();
      throw;
    }
  }

  ~CudaBackend() override { release(); }

  BackendDescription describe() const override {
    BackendDescription d = describe_staged("cuda");
    d.device = device_name_;
    auto& s = d.stats;
    s.emplace_back("persistentSingle", use_persistent_ ? 1 : 0);
    s.emplace_back("singleGraphMedianNs", single_graph_ns_);
    s.emplace_back("singlePersistentMedianNs", single_persistent_ns_);
    s.emplace_back("emptyGraphRoundTripNs", floor_graph_ns_);
    s.emplace_back("emptyPersistentRoundTripNs", floor_persistent_ns_);
    s.emplace_back("multiprocessors", multiprocessors_);
    s.emplace_back("batchGrid", grid_for(kLargestBucket));
    for (int b = 0; b < kBucketCount; ++b) {
      if (replay_count_[b] > 0) s.emplace_back("replayMeanNs" + std::to_string(kBuckets[b]), replay_ns_[b] / replay_count_[b]);
    }
    return d;
  }

 protected:
  float* input_records() override { return in_host_; }
  const float* output_records() override { return out_host_; }
  float* single_input() override { return use_persistent_ ? mailbox_input_ : in_host_; }
  const float* single_output() override { return use_persistent_ ? mailbox_output_ : out_host_; }

  void run_bucket(int bucket, int count) override {
    (void)count;
    check_usable();
    const auto t0 = Clock::now();
    cudaError_t err = cudaGraphLaunch(graphs_[bucket], stream_);
    if (err != cudaSuccess) broken(err, "cudaGraphLaunch of bucket " + std::to_string(kBuckets[bucket]));
    wait_stream(stream_, kBatchTimeout, "bucket " + std::to_string(kBuckets[bucket]));
    replay_ns_[bucket] += std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    replay_count_[bucket] += 1;
  }

  void run_single() override {
    if (!use_persistent_) {
      run_bucket(0, 1);
      return;
    }
    check_usable();
    if (control_->alive == 0u) restart_persistent();
    const unsigned seq = ++seq_;
    std::atomic_thread_fence(std::memory_order_release);
    control_->seq_in = seq;
    unsigned spins = 0;
    Clock::time_point deadline{};
    while (control_->seq_out != seq) {
      // The answer usually comes within a few hundred spins; the stream query (is the kernel still
      // there, did it fault) and the clock are checked only every 1024.
      if ((++spins & 1023u) != 0) continue;
      const cudaError_t err = cudaStreamQuery(persistent_stream_);
      if (err == cudaSuccess) {
        // The kernel idled out as this request arrived: start it again; it answers seq_in.
        if (control_->seq_out == seq) break;
        relaunch_persistent();
        continue;
      }
      if (err != cudaErrorNotReady) broken(err, "persistent kernel");
      const auto now = Clock::now();
      if (deadline == Clock::time_point{}) deadline = now + kSingleTimeout;
      if (now > deadline) {
        control_->stop = 1u;
        failed_ = "cudaErrorTimeout: the persistent kernel did not answer within 1 s";
        throw Error("ERR_CUDA", failed_);
      }
    }
    std::atomic_thread_fence(std::memory_order_acquire);
  }

 private:
  KernelLayout single_layout_;
  std::string device_name_;
  int device_ = 0;
  int multiprocessors_ = 1;
  bool owns_context_work_ = false;
  std::string failed_;

  void* weights_dev_ = nullptr;
  float* params_dev_ = nullptr;
  int* offsets_dev_ = nullptr;
  int* sources_dev_ = nullptr;
  float* in_dev_ = nullptr;
  float* out_dev_ = nullptr;
  float* in_host_ = nullptr;   // pinned
  float* out_host_ = nullptr;  // pinned
  cudaStream_t stream_ = nullptr;
  cudaGraphExec_t graphs_[kBucketCount] = {};

  // Persistent path: one mapped allocation holding control words, an input and an output record.
  bool use_persistent_ = false;
  bool persistent_started_ = false;
  cudaStream_t persistent_stream_ = nullptr;
  unsigned char* mailbox_ = nullptr;
  MailboxControl* control_ = nullptr;
  float* mailbox_input_ = nullptr;
  float* mailbox_output_ = nullptr;
  unsigned char* mailbox_dev_ = nullptr;
  unsigned seq_ = 0;
  // Replay time (launch to completion: copy in, kernel, copy out) per bucket, for the stats.
  double replay_ns_[kBucketCount] = {}, replay_count_[kBucketCount] = {};
  double single_graph_ns_ = 0, single_persistent_ns_ = 0, floor_graph_ns_ = 0, floor_persistent_ns_ = 0;

  KernelArgs args(const KernelLayout& layout) const {
    return KernelArgs{layout, weights_dev_, params_dev_, offsets_dev_, sources_dev_};
  }

  int grid_for(int books) const {
    const int tiles = (books + layout_.tile_books - 1) / layout_.tile_books;
    // Two multiprocessors stay free for persistent kernels (this engine's and, typically, its
    // streaming sibling's), so a replay's blocks never queue behind one for a second wave.
    return std::max(1, std::min(tiles, multiprocessors_ > 2 ? multiprocessors_ - 2 : 1));
  }

  void check_usable() const {
    if (!failed_.empty()) throw Error("ERR_CUDA", "the CUDA backend stopped after an earlier failure: " + failed_);
  }

  [[noreturn]] void broken(cudaError_t err, const std::string& what) {
    failed_ = std::string(cudaGetErrorName(err)) + " (" + what + ")";
    cudaGetLastError();
    fail(err, what);
  }

  void wait_stream(cudaStream_t stream, Clock::duration timeout, const std::string& what) {
    Clock::time_point deadline{};
    for (unsigned spins = 0;; ++spins) {
      const cudaError_t err = cudaStreamQuery(stream);
      if (err == cudaSuccess) return;
      if (err != cudaErrorNotReady) broken(err, what);
      if ((spins & 255u) == 255u) {
        const auto now = Clock::now();
        if (deadline == Clock::time_point{}) deadline = now + timeout;
        if (now > deadline) {
          failed_ = "cudaErrorTimeout (" + what + " did not finish)";
          throw Error("ERR_CUDA", failed_);
        }
      }
    }
  }

  void init(const cudaDeviceProp& prop, const CudaBackendOptions& o) {
    multiprocessors_ = prop.multiProcessorCount;
    const bool fp16 = precision_ == Precision::Fp16;
    owns_context_work_ = true;
    const PackedWeights packed = pack_weights(model_, layout_);
    const size_t welems = static_cast<size_t>(layout_.weight_elems);
    if (fp16) {
      std::vector<uint16_t> halves(welems);
      for (size_t i = 0; i < welems; ++i) halves[i] = math::float_to_half_bits(packed.weights[i]);
      CUDA_CHECK(cudaMalloc(&weights_dev_, welems * 2));
      CUDA_CHECK(cudaMemcpy(weights_dev_, halves.data(), welems * 2, cudaMemcpyHostToDevice));
    } else {
      CUDA_CHECK(cudaMalloc(&weights_dev_, welems * 4));
      CUDA_CHECK(cudaMemcpy(weights_dev_, packed.weights.data(), welems * 4, cudaMemcpyHostToDevice));
    }
    CUDA_CHECK(cudaMalloc(&params_dev_, packed.params.size() * 4));
    CUDA_CHECK(cudaMemcpy(params_dev_, packed.params.data(), packed.params.size() * 4, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMalloc(&offsets_dev_, packed.offsets.size() * 4));
    CUDA_CHECK(cudaMemcpy(offsets_dev_, packed.offsets.data(), packed.offsets.size() * 4, cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMalloc(&sources_dev_, std::max<size_t>(1, packed.sources.size()) * 4));
    if (!packed.sources.empty()) {
      CUDA_CHECK(cudaMemcpy(sources_dev_, packed.sources.data(), packed.sources.size() * 4, cudaMemcpyHostToDevice));
    }
    CUDA_CHECK(prepare_gnn_kernels(fp16, layout_.sm_bytes, single_layout_.sm_bytes));

    const size_t in_bytes = staging_.input_bytes(kLargestBucket), out_bytes = staging_.output_bytes(kLargestBucket);
    CUDA_CHECK(cudaMalloc(&in_dev_, in_bytes));
    CUDA_CHECK(cudaMalloc(&out_dev_, out_bytes));
    CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&in_host_), in_bytes, cudaHostAllocDefault));
    CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&out_host_), out_bytes, cudaHostAllocDefault));
    std::memset(in_host_, 0, in_bytes);
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    for (int b = 0; b < kBucketCount; ++b) capture_bucket(b);

    if (o.single_book != SingleBookPath::Graph) {
      if (!prop.canMapHostMemory) {
        if (o.single_book == SingleBookPath::Persistent) throw Error("ERR_BACKEND_UNAVAILABLE", "the device cannot map host memory for the persistent kernel");
      } else {
        start_persistent();
      }
    }
    if (o.single_book == SingleBookPath::Measure && persistent_started_) choose_single_path();
  }

  void capture_bucket(int b) {
    const int books = kBuckets[b];
    CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    cudaError_t err = cudaMemcpyAsync(in_dev_, in_host_, staging_.input_bytes(books), cudaMemcpyHostToDevice, stream_);
    if (err == cudaSuccess) err = launch_gnn_batch(args(layout_), staging_, in_dev_, out_dev_, books, grid_for(books), stream_);
    if (err == cudaSuccess) {
      err = cudaMemcpyAsync(out_host_, out_dev_, staging_.output_bytes(books), cudaMemcpyDeviceToHost, stream_);
    }
    cudaGraph_t graph = nullptr;
    const cudaError_t end = cudaStreamEndCapture(stream_, &graph);
    if (err == cudaSuccess) err = end;
    if (err == cudaSuccess) err = cudaGraphInstantiate(&graphs_[b], graph, 0);
    if (graph) cudaGraphDestroy(graph);
    if (err != cudaSuccess) fail(err, "capturing the graph of bucket " + std::to_string(books));
  }

  void start_persistent() {
    const size_t control = sizeof(MailboxControl);
    const size_t in = staging_.input_bytes(1), out = staging_.output_bytes(1);
    CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&mailbox_), control + in + out, cudaHostAllocMapped));
    std::memset(mailbox_, 0, control + in + out);
    CUDA_CHECK(cudaHostGetDevicePointer(reinterpret_cast<void**>(&mailbox_dev_), mailbox_, 0));
    control_ = reinterpret_cast<MailboxControl*>(mailbox_);
    mailbox_input_ = reinterpret_cast<float*>(mailbox_ + control);
    mailbox_output_ = reinterpret_cast<float*>(mailbox_ + control + in);
    CUDA_CHECK(cudaStreamCreateWithFlags(&persistent_stream_, cudaStreamNonBlocking));
    persistent_started_ = true;
    use_persistent_ = true;
    relaunch_persistent();
  }

  void relaunch_persistent() {
    control_->stop = 0u;
    control_->alive = 1u;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const size_t control = sizeof(MailboxControl), in = staging_.input_bytes(1);
    const cudaError_t err = launch_gnn_persistent(
        args(single_layout_), staging_, reinterpret_cast<MailboxControl*>(mailbox_dev_),
        reinterpret_cast<const float*>(mailbox_dev_ + control), reinterpret_cast<float*>(mailbox_dev_ + control + in),
        control_->seq_out, kPersistentIdleNs, persistent_stream_);
    if (err != cudaSuccess) broken(err, "launching the persistent kernel");
  }

  // The kernel left after its idle period: wait until its stream is empty, then start it again.
  void restart_persistent() {
    wait_stream(persistent_stream_, kSingleTimeout, "the idle persistent kernel's exit");
    relaunch_persistent();
  }

  static bool drained(cudaStream_t stream) {
    const auto deadline = Clock::now() + kSingleTimeout;
    while (cudaStreamQuery(stream) == cudaErrorNotReady) {
      if (Clock::now() > deadline) return false;
    }
    return true;
  }

  void stop_persistent() {
    if (!persistent_started_) return;
    control_->stop = 1u;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!drained(persistent_stream_)) return;  // a hung kernel: leak its buffers rather than block on a free
    persistent_started_ = false;
  }

  // Times single books through both paths on a synthetic book and keeps the faster one.
  void choose_single_path() {
    const int L = model_.levels;
    std::vector<double> bp(L), bs(L), ap(L), as(L);
    for (int i = 0; i < L; ++i) {
      bp[i] = 100.0 - 0.01 * (i + 1);
      ap[i] = 100.0 + 0.01 * (i + 1);
      bs[i] = 1.0 + 0.25 * i;
      as[i] = 2.0 + 0.125 * i;
    }
    const BookView book{{bp.data(), bs.data(), L}, {ap.data(), as.data(), L}};
    std::vector<float> embedding(model_.embed);
    ForwardOutput out{};
    out.embedding = embedding.data();
    auto median_ns = [&](bool persistent) {
      use_persistent_ = persistent;
      std::vector<double> ns;
      for (int i = 0; i < 240; ++i) {
        const auto t0 = Clock::now();
        forward_book(book, nullptr, &out);
        const auto t1 = Clock::now();
        if (i >= 40) ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
      }
      std::nth_element(ns.begin(), ns.begin() + ns.size() / 2, ns.end());
      return ns[ns.size() / 2];
    };
    // The floors: the same round trips on an empty record (the kernel reads levels 0 and answers).
    auto floor_ns = [&](bool persistent) {
      use_persistent_ = persistent;
      std::vector<double> ns;
      for (int i = 0; i < 240; ++i) {
        stage_padding(staging_, single_input(), 0, 1);
        const auto t0 = Clock::now();
        run_single();
        const auto t1 = Clock::now();
        if (i >= 40) ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
      }
      std::nth_element(ns.begin(), ns.begin() + ns.size() / 2, ns.end());
      return ns[ns.size() / 2];
    };
    floor_graph_ns_ = floor_ns(false);
    floor_persistent_ns_ = floor_ns(true);
    single_graph_ns_ = median_ns(false);
    single_persistent_ns_ = median_ns(true);
    single_runs_ = 0;
    use_persistent_ = single_persistent_ns_ < single_graph_ns_;
    if (!use_persistent_) stop_persistent();
  }

  void release() noexcept {
    if (!owns_context_work_) return;
    stop_persistent();
    if (persistent_started_) return;  // the kernel did not stop: freeing would wait on it forever
    for (auto& g : graphs_) {
      if (g) cudaGraphExecDestroy(g);
      g = nullptr;
    }
    if (stream_ && !drained(stream_)) return;  // a replay that never finished: leak, never block
    if (stream_) cudaStreamDestroy(stream_);
    if (persistent_stream_) cudaStreamDestroy(persistent_stream_);
    if (mailbox_) cudaFreeHost(mailbox_);
    if (in_host_) cudaFreeHost(in_host_);
    if (out_host_) cudaFreeHost(out_host_);
    for (void* p : {static_cast<void*>(in_dev_), static_cast<void*>(out_dev_), weights_dev_,
                    static_cast<void*>(params_dev_), static_cast<void*>(offsets_dev_), static_cast<void*>(sources_dev_)}) {
      if (p) cudaFree(p);
    }
    stream_ = persistent_stream_ = nullptr;
    mailbox_ = nullptr;
    in_host_ = out_host_ = nullptr;
    owns_context_work_ = false;
    cudaGetLastError();
  }
};

}  // namespace

std::unique_ptr<InferenceBackend> make_cuda_backend(const GnnModel& model, const CudaBackendOptions& options) {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    const std::string why = err != cudaSuccess ? cudaGetErrorName(err) : "no device";
    cudaGetLastError();
    throw Error("ERR_BACKEND_UNAVAILABLE", "backend \"cuda\" is unavailable: no usable CUDA device (" + why + ")");
  }
  if (options.device < 0 || options.device >= count) {
    throw Error("ERR_BACKEND_UNAVAILABLE", "CUDA device " + std::to_string(options.device) + " does not exist (" +
                                               std::to_string(count) + " found)");
  }
  CUDA_CHECK(cudaSetDevice(options.device));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, options.device));
  if (prop.major < 7 || (prop.major == 7 && prop.minor < 5)) {
    throw Error("ERR_BACKEND_UNAVAILABLE", std::string("CUDA device ") + prop.name + " (compute " +
                                               std::to_string(prop.major) + "." + std::to_string(prop.minor) +
                                               ") is older than the kernels' minimum, 7.5");
  }
  // Headroom under the opt-in limit for the kernels' static shared memory.
  const size_t smem = static_cast<size_t>(prop.sharedMemPerBlockOptin) - 1024;
  const bool fp16 = options.precision == Precision::Fp16;
  const KernelLayout batch = plan_kernel(model, options.precision, fp16 ? 4 : 1, smem);
  const KernelLayout single = plan_kernel(model, options.precision, 1, smem);
  return std::make_unique<CudaBackend>(model, options, batch, single, prop);
}

}  // namespace hawkgraph::cuda
