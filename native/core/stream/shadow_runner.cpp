#include "shadow_runner.hpp"

#include <algorithm>
#include <cstring>

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "../error.hpp"
#include "../thread_pool.hpp"

namespace hawkgraph::stream {
namespace {

constexpr int kShadowBlocks = 4;

}  // namespace

ShadowRunner::ShadowRunner(std::unique_ptr<GnnEngine> engine, int max_batch, int queue_books, bool order_flow,
                           std::shared_ptr<PrimaryGate> gate, Deliver deliver)
    : engine_(std::move(engine)),
      gate_(std::move(gate)),
      levels_(engine_->model().levels),
      max_batch_(max_batch),
      order_flow_(order_flow),
      results_(kShadowBlocks, max_batch, std::move(deliver)) {
  const size_t L = static_cast<size_t>(levels_), B = static_cast<size_t>(max_batch_);
  queue_.resize(static_cast<size_t>(std::max(queue_books, max_batch_)));
  for (Entry& e : queue_) {
    e.book.resize(4 * L);
    if (order_flow_) e.flow.resize(2 * L);
  }
  views_.resize(B);
  flow_ptrs_.resize(B);
  rows_.resize(B * static_cast<size_t>(engine_->row_width()));
  thread_ = std::thread([this] { run(); });
}

ShadowRunner::~ShadowRunner() { stop_and_join(); }

void ShadowRunner::push(const BatchView& batch, int count) {
  const size_t L = static_cast<size_t>(levels_), capacity = queue_.size();
  const uint64_t head = head_.load(std::memory_order_relaxed);
  const uint64_t room = capacity - (head - tail_.load(std::memory_order_acquire));
  const int n = static_cast<int>(std::min<uint64_t>(room, static_cast<uint64_t>(count)));
  for (int k = 0; k < n; ++k) {
    Entry& e = queue_[(head + static_cast<uint64_t>(k)) % capacity];
    const BookView& b = batch.books[k];
    e.nb = b.bids.count;
    e.na = b.asks.count;
    std::memcpy(e.book.data(), b.bids.price, sizeof(double) * static_cast<size_t>(e.nb));
    std::memcpy(e.book.data() + L, b.bids.size, sizeof(double) * static_cast<size_t>(e.nb));
    std::memcpy(e.book.data() + 2 * L, b.asks.price, sizeof(double) * static_cast<size_t>(e.na));
    std::memcpy(e.book.data() + 3 * L, b.asks.size, sizeof(double) * static_cast<size_t>(e.na));
    if (order_flow_) std::memcpy(e.flow.data(), batch.flows[k], sizeof(double) * 2 * L);
    e.symbol = batch.symbol[k];
    e.seq = batch.seq[k];
    e.ts = batch.ts[k];
    e.mid = batch.mid[k];
    e.submit_ns = batch.submit_ns[k];
  }
  offered_.fetch_add(static_cast<uint64_t>(count), std::memory_order_relaxed);
  if (n < count) dropped_.fetch_add(static_cast<uint64_t>(count - n), std::memory_order_relaxed);
  if (n == 0) return;
  head_.store(head + static_cast<uint64_t>(n), std::memory_order_release);
  // Paired with the fence in run(): either the shadow sees the new head before it sleeps, or
  // this sees it sleeping and wakes it (under its lock, so the wake cannot fall between its
  // check and its wait).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_relaxed)) {
    { std::lock_guard<std::mutex> lock(mu_); }
    work_cv_.notify_one();
  }
}

void ShadowRunner::release(ResultBlock* block) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake = results_.release(block);
  }
  if (wake) block_cv_.notify_one();
}

void ShadowRunner::begin_close(bool drain) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (mode_ != Mode::Run) return;
    mode_ = drain ? Mode::Drain : Mode::Discard;
  }
  stop_waiting();
}

void ShadowRunner::stop_and_join() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = Mode::Discard;
    results_.shut();
  }
  stop_waiting();
  join();
}

void ShadowRunner::stop_waiting() {
  stopping_.store(true, std::memory_order_seq_cst);
  if (gate_) gate_->wake_all();
  work_cv_.notify_one();
  block_cv_.notify_one();
}

void ShadowRunner::join() {
  std::lock_guard<std::mutex> lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

ShadowCounters ShadowRunner::counters() const {
  ShadowCounters c;
  c.offered = offered_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.queued = head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  std::lock_guard<std::mutex> lock(mu_);
  c.discarded = discarded_;
  c.delivered = delivered_;
  c.failed = failed_;
  c.batches = batches_;
  return c;
}

int ShadowRunner::take(int n) {
  const size_t L = static_cast<size_t>(levels_), capacity = queue_.size();
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  for (int k = 0; k < n; ++k) {
    const Entry& e = queue_[(tail + static_cast<uint64_t>(k)) % capacity];
    const double* src = e.book.data();
    views_[k] = BookView{{src, src + L, e.nb}, {src + 2 * L, src + 3 * L, e.na}};
    flow_ptrs_[k] = order_flow_ ? e.flow.data() : nullptr;
  }
  return n;
}

// Yielding, book by book: the primary waits for one book of the shadow's at most (the one under
// way when its burst starts). computeNs counts the passes, not the waits between them.
void ShadowRunner::compute(int n) {
  const size_t width = static_cast<size_t>(engine_->row_width());
  const int slice = gate_ ? 1 : n;
  failed_batch_ = false;
  compute_ns_ = 0;
  start_ns_ = 0;
  try {
    for (int first = 0; first < n; first += slice) {
      if (gate_) gate_->wait_idle(stopping_);
      const int64_t t0 = steady_now_ns();
      if (first == 0) start_ns_ = t0;
      engine_->predict_batch(views_.data() + first, std::min(slice, n - first), rows_.data() + first * width,
                             order_flow_ ? flow_ptrs_.data() + first : nullptr);
      compute_ns_ += steady_now_ns() - t0;
    }
  } catch (const Error& e) {
    failed_batch_ = true;
    error_code_ = e.code();
    error_message_ = e.what();
  } catch (const std::exception& e) {
    failed_batch_ = true;
    error_code_ = "ERR_INTERNAL";
    error_message_ = e.what();
  }
  if (start_ns_ == 0) start_ns_ = steady_now_ns();
}

void ShadowRunner::fill_block(int n, ResultBlock* block) const {
  const size_t width = static_cast<size_t>(engine_->row_width()), capacity = queue_.size();
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  block->failed = failed_batch_;
  if (failed_batch_) {
    block->error_code = error_code_;
    block->error_message = error_message_;
  }
  for (int k = 0; k < n; ++k) {
    const Entry& e = queue_[(tail + static_cast<uint64_t>(k)) % capacity];
    double* r = block->records.data() + static_cast<size_t>(k) * record::kWidth;
    r[record::kSymbol] = e.symbol;
    r[record::kSeq] = static_cast<double>(e.seq);
    r[record::kTs] = e.ts;
    r[record::kSubmitNs] = static_cast<double>(e.submit_ns);
    r[record::kQueueNs] = static_cast<double>(start_ns_ - e.submit_ns);
    r[record::kComputeNs] = static_cast<double>(compute_ns_);
    r[record::kMid] = e.mid;
    r[record::kSlot] = model_slot::kShadow;
    if (!failed_batch_) {
      std::memcpy(r + record::kRow, rows_.data() + static_cast<size_t>(k) * width,
                  sizeof(double) * prediction_row::kEmbedding);
    }
  }
  block->count = n;
}

void ShadowRunner::run() {
  name_this_thread("hg-shadow");
#ifdef __linux__
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
#endif
  // On a machine with no spare core the shadow falls behind (and drops) instead of slowing the primary.
  // A yielding one runs only on idle CPU time: a thread waking for the JS event loop or the
  // primary takes its core at once, where a nice +10 thread would keep it to the end of its slice.
  if (gate_) idle_thread_priority();
  else lower_thread_priority();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    sleeping_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    work_cv_.wait(lock, [&] {
      return head_.load(std::memory_order_acquire) != tail_.load(std::memory_order_relaxed) || mode_ != Mode::Run;
    });
    sleeping_.store(false, std::memory_order_relaxed);
    const uint64_t queued = head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_relaxed);
    if (mode_ == Mode::Discard) {
      discarded_ += queued;
      tail_.store(tail_.load(std::memory_order_relaxed) + queued, std::memory_order_release);
      break;
    }
    if (queued == 0) break;  // draining, and nothing is left
    const int n = take(static_cast<int>(std::min<uint64_t>(queued, static_cast<uint64_t>(max_batch_))));
    lock.unlock();
    compute(n);
    lock.lock();
    ResultBlock* block = results_.acquire(lock, block_cv_);
    if (block == nullptr) {
      discarded_ += static_cast<uint64_t>(n);
      tail_.store(tail_.load(std::memory_order_relaxed) + static_cast<uint64_t>(n), std::memory_order_release);
      break;
    }
    fill_block(n, block);
    // The entries are copied out: the stream thread may refill them.
    tail_.store(tail_.load(std::memory_order_relaxed) + static_cast<uint64_t>(n), std::memory_order_release);
    delivered_ += static_cast<uint64_t>(n);
    if (failed_batch_) failed_ += static_cast<uint64_t>(n);
    ++batches_;
    lock.unlock();
    const bool delivered = results_.deliver(block);
    lock.lock();
    if (!delivered) {
      results_.refused(block);
      mode_ = Mode::Discard;
      break;
    }
  }
  results_.finish(lock);
}

}  // namespace hawkgraph::stream
