#include "book_stream.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "../error.hpp"
#include "../features.hpp"
#include "../thread_pool.hpp"
#include "drift.hpp"
#include "shadow_runner.hpp"

namespace hawkgraph::stream {

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool model_uses_order_flow(const GnnModel& model) {
  const auto flow = model.metadata.find("order_flow");
  return flow != model.metadata.end() && flow->second == "per_ms";
}

BookStream::BookStream(std::unique_ptr<GnnEngine> engine, const StreamConfig& config, Deliver deliver,
                       std::unique_ptr<DriftMonitor> drift)
    : engine_(std::move(engine)),
      config_(config),
      levels_(engine_->model().levels),
      results_(config.result_blocks, config.max_batch, std::move(deliver)),
      drift_(std::move(drift)) {
  const size_t L = static_cast<size_t>(levels_), B = static_cast<size_t>(config_.max_batch);
  slots_.resize(static_cast<size_t>(config_.max_symbols));
  ring_.resize(static_cast<size_t>(config_.max_symbols));
  staging_book_.resize(4 * L);
  staging_flow_.resize(config_.order_flow ? 2 * L : 0);
  batch_books_.resize(B);
  batch_flows_.resize(B);
  for (size_t k = 0; k < B; ++k) {
    batch_books_[k].resize(4 * L);
    if (config_.order_flow) batch_flows_[k].resize(2 * L);
  }
  batch_rows_.resize(B * static_cast<size_t>(engine_->row_width()));
  batch_flow_ptrs_.resize(B);
  batch_views_.resize(B);
  batch_symbol_.resize(B);
  batch_seq_.resize(B);
  batch_ts_.resize(B);
  batch_mid_.resize(B);
  batch_slot_.resize(B, model_slot::kPrimary);
  batch_rank_.resize(B);
  for (int m = 0; m < 2; ++m) {
    model_views_[m].resize(B);
    model_flows_[m].resize(B);
  }
  b_rows_.resize(B * static_cast<size_t>(engine_->row_width()));
  batch_submit_ns_.resize(B);
  thread_ = std::thread([this] { run(); });
}

BookStream::~BookStream() {
  stop_and_join();
  delete offered_.exchange(nullptr);
  delete offered_b_.exchange(nullptr);
  delete offered_b_engine_.exchange(nullptr);
  for (ModelRun* run = take_retired(); run != nullptr;) {
    ModelRun* next = run->retired_next;
    delete run;
    run = next;
  }
}

void BookStream::offer(std::unique_ptr<ModelRun> run) {
  // No wake: an idle thread takes it with its next book. Waking it costs the JS thread a
  // cross-core wake (several microseconds, more on a VM) only to free the old run sooner.
  if (ModelRun* stale = offered_.exchange(run.release(), std::memory_order_acq_rel)) retire(stale);
}

void BookStream::offer_b_engine(std::unique_ptr<GnnEngine> engine) {
  b_offered_ = true;
  offered_b_engine_.store(engine.release(), std::memory_order_release);
}

void BookStream::offer_b(std::unique_ptr<ModelRun> run) {
  if (ModelRun* stale = offered_b_.exchange(run.release(), std::memory_order_acq_rel)) retire(stale);
}

void BookStream::set_route(int symbol, double route) {
  if (symbol < 0 || symbol >= config_.max_symbols) {
    throw Error("ERR_MAX_SYMBOLS", "symbol index " + std::to_string(symbol) + " is outside the stream's " +
                                       std::to_string(config_.max_symbols) + " symbols");
  }
  // Set before the symbol's first submit, which publishes it to the thread under the lock.
  slots_[static_cast<size_t>(symbol)].route = route;
}

void BookStream::attach_shadow(ShadowRunner* shadow) {
  std::lock_guard<std::mutex> lock(shadow_mu_);
  shadows_.push_back(shadow);
}

void BookStream::detach_shadow(ShadowRunner* shadow) {
  std::lock_guard<std::mutex> lock(shadow_mu_);
  shadows_.erase(std::remove(shadows_.begin(), shadows_.end(), shadow), shadows_.end());
}

ModelRun* BookStream::take_retired() {
  if (retired_.load(std::memory_order_relaxed) == nullptr) return nullptr;
  return retired_.exchange(nullptr, std::memory_order_acquire);
}

void BookStream::retire(ModelRun* run) {
  run->retired_next = retired_.load(std::memory_order_relaxed);
  while (!retired_.compare_exchange_weak(run->retired_next, run, std::memory_order_release, std::memory_order_relaxed)) {
  }
}

void BookStream::adopt_offer() {
  if (offered_.load(std::memory_order_relaxed) != nullptr) {
    if (ModelRun* next = offered_.exchange(nullptr, std::memory_order_acq_rel)) {
      retire(engine_->install(std::unique_ptr<ModelRun>(next)).release());
    }
  }
  if (!engine_b_ && offered_b_engine_.load(std::memory_order_relaxed) != nullptr) {
    engine_b_.reset(offered_b_engine_.exchange(nullptr, std::memory_order_acq_rel));
  }
  if (engine_b_ && offered_b_.load(std::memory_order_relaxed) != nullptr) {
    if (ModelRun* next = offered_b_.exchange(nullptr, std::memory_order_acq_rel)) {
      retire(engine_b_->install(std::unique_ptr<ModelRun>(next)).release());
    }
  }
}

uint64_t BookStream::submit(int symbol, const BookView& book, double ts, uint64_t* superseded) {
  validate_book(book, levels_);
  if (symbol < 0 || symbol >= config_.max_symbols) {
    throw Error("ERR_MAX_SYMBOLS", "symbol index " + std::to_string(symbol) + " is outside the stream's " +
                                       std::to_string(config_.max_symbols) + " symbols");
  }
  const size_t L = static_cast<size_t>(levels_);
  Slot& slot = slots_[static_cast<size_t>(symbol)];
  if (!slot.allocated) {
    // First book of this symbol: its storage, once (bounded by max_symbols). The thread never
    // touches a slot before its first book, so this needs no lock.
    slot.allocated = true;
    slot.book.resize(4 * L);
    if (config_.order_flow) {
      slot.flow.resize(2 * L);
      slot.prev_bid_sz.resize(L);
      slot.prev_ask_sz.resize(L);
    }
  }
  const int nb = std::min(book.bids.count, levels_), na = std::min(book.asks.count, levels_);
  // Staged outside the lock; the lock only swaps buffers, so the thread never waits on a copy.
  double* dst = staging_book_.data();
  std::memcpy(dst, book.bids.price, sizeof(double) * nb);
  std::memcpy(dst + L, book.bids.size, sizeof(double) * nb);
  std::memcpy(dst + 2 * L, book.asks.price, sizeof(double) * na);
  std::memcpy(dst + 3 * L, book.asks.size, sizeof(double) * na);
  if (config_.order_flow) {
    BookView prev{{nullptr, slot.prev_bid_sz.data(), slot.prev_nb}, {nullptr, slot.prev_ask_sz.data(), slot.prev_na}};
    order_flow_per_ms(book, slot.has_prev ? &prev : nullptr, ts - slot.prev_ts, levels_, staging_flow_.data());
  }
  const int64_t now = steady_now_ns();
  bool wake = false;
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = ++next_seq_;
    *superseded = 0;
    if (slot.pending) {
      *superseded = slot.seq;
      ++counters_.superseded;
    } else {
      slot.pending = true;
      ring_[(ring_head_ + counters_.queued) % ring_.size()] = symbol;
      ++counters_.queued;
      work_hint_.store(true, std::memory_order_release);
      gate_->set_busy();
      wake = thread_idle_ || (thread_batching_ && counters_.queued >= static_cast<uint64_t>(config_.max_batch));
    }
    ++counters_.submitted;
    // The slot's old buffer (a superseded book, or one a batch gave back) becomes the next staging.
    slot.book.swap(staging_book_);
    if (config_.order_flow) slot.flow.swap(staging_flow_);
    slot.nb = nb;
    slot.na = na;
    slot.seq = seq;
    slot.ts = ts;
    slot.mid = 0.5 * (book.bids.price[0] + book.asks.price[0]);  // validated: both sides have a level
    slot.submit_ns = now;
  }
  if (wake) work_cv_.notify_one();
  if (config_.order_flow) {
    std::memcpy(slot.prev_bid_sz.data(), book.bids.size, sizeof(double) * nb);
    std::memcpy(slot.prev_ask_sz.data(), book.asks.size, sizeof(double) * na);
    slot.prev_nb = nb;
    slot.prev_na = na;
    slot.prev_ts = ts;
    slot.has_prev = true;
  }
  return seq;
}

void BookStream::release(ResultBlock* block) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.in_delivery -= static_cast<uint64_t>(block->count);
    counters_.released += static_cast<uint64_t>(block->count);
    wake = results_.release(block);
  }
  if (wake) block_cv_.notify_one();
}

void BookStream::begin_close(bool drain, std::vector<DroppedBook>* discarded) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (mode_ != Mode::Run) return;
    mode_ = drain ? Mode::Drain : Mode::Discard;
    if (!drain) {
      for (uint64_t k = 0; k < counters_.queued; ++k) {
        Slot& slot = slots_[static_cast<size_t>(ring_[(ring_head_ + k) % ring_.size()])];
        slot.pending = false;
        discarded->push_back({ring_[(ring_head_ + k) % ring_.size()], slot.seq});
      }
      counters_.discarded += counters_.queued;
      counters_.queued = 0;
    }
    work_hint_.store(true, std::memory_order_release);  // ends a spin at once
  }
  work_cv_.notify_one();
  block_cv_.notify_one();
}

void BookStream::stop_and_join() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = Mode::Discard;
    results_.shut();
    work_hint_.store(true, std::memory_order_release);
  }
  work_cv_.notify_one();
  block_cv_.notify_one();
  join();
}

void BookStream::join() {
  std::lock_guard<std::mutex> lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

StreamCounters BookStream::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

int BookStream::take_batch() {
  const size_t L = static_cast<size_t>(levels_);
  const int n = static_cast<int>(std::min<uint64_t>(counters_.queued, static_cast<uint64_t>(config_.max_batch)));
  for (int k = 0; k < n; ++k) {
    const int symbol = ring_[ring_head_];
    ring_head_ = (ring_head_ + 1) % ring_.size();
    Slot& slot = slots_[static_cast<size_t>(symbol)];
    slot.pending = false;
    // O(1) under the lock: the batch takes the slot's buffer, the slot gets a spare one.
    batch_books_[k].swap(slot.book);
    const double* src = batch_books_[k].data();
    batch_views_[k] = BookView{{src, src + L, slot.nb}, {src + 2 * L, src + 3 * L, slot.na}};
    if (config_.order_flow) {
      batch_flows_[k].swap(slot.flow);
      batch_flow_ptrs_[k] = batch_flows_[k].data();
    }
    batch_symbol_[k] = symbol;
    batch_seq_[k] = slot.seq;
    batch_ts_[k] = slot.ts;
    batch_mid_[k] = slot.mid;
    batch_submit_ns_[k] = slot.submit_ns;
  }
  const double share_b = share_b_.load(std::memory_order_relaxed);
  for (int k = 0; k < n; ++k) {
    batch_slot_[k] = slots_[static_cast<size_t>(batch_symbol_[k])].route < share_b ? model_slot::kB : model_slot::kPrimary;
  }
  counters_.queued -= static_cast<uint64_t>(n);
  work_hint_.store(counters_.queued > 0, std::memory_order_relaxed);
  counters_.in_flight += static_cast<uint64_t>(n);
  return n;
}

void BookStream::route_batch(int n) {
  batch_split_ = engine_b_ != nullptr;
  if (!batch_split_) {
    for (int k = 0; k < n; ++k) batch_slot_[k] = model_slot::kPrimary;  // B has no model yet
    batch_n_[0] = n;
    batch_n_[1] = 0;
    return;
  }
  batch_n_[0] = batch_n_[1] = 0;
  for (int k = 0; k < n; ++k) {
    const int m = batch_slot_[k] == model_slot::kB ? 1 : 0;
    const int rank = batch_n_[m]++;
    batch_rank_[k] = rank;
    model_views_[m][rank] = batch_views_[k];
    model_flows_[m][rank] = batch_flow_ptrs_[k];
  }
}

void BookStream::compute_batch(int n) {
  const int64_t start = steady_now_ns();
  batch_failed_ = false;
  const bool flow = config_.order_flow;
  try {
    if (!batch_split_) {
      engine_->predict_batch(batch_views_.data(), n, batch_rows_.data(), flow ? batch_flow_ptrs_.data() : nullptr);
    } else if (batch_n_[0] > 0) {
      engine_->predict_batch(model_views_[0].data(), batch_n_[0], batch_rows_.data(), flow ? model_flows_[0].data() : nullptr);
    }
    batch_b_start_ns_ = steady_now_ns();
    if (batch_n_[1] > 0) {
      engine_b_->predict_batch(model_views_[1].data(), batch_n_[1], b_rows_.data(), flow ? model_flows_[1].data() : nullptr);
    }
  } catch (const Error& e) {
    batch_failed_ = true;
    batch_error_code_ = e.code();
    batch_error_message_ = e.what();
  } catch (const std::exception& e) {
    batch_failed_ = true;
    batch_error_code_ = "ERR_INTERNAL";
    batch_error_message_ = e.what();
  }
  batch_start_ns_ = start;
  const int64_t end = steady_now_ns();
  batch_compute_ns_ = batch_b_start_ns_ - start;
  batch_b_compute_ns_ = end - batch_b_start_ns_;
}

void BookStream::fill_block(int n, ResultBlock* block) const {
  const size_t width = static_cast<size_t>(engine_->row_width());
  block->failed = batch_failed_;
  if (batch_failed_) {
    block->error_code = batch_error_code_;
    block->error_message = batch_error_message_;
  }
  for (int k = 0; k < n; ++k) {
    double* r = block->records.data() + static_cast<size_t>(k) * record::kWidth;
    r[record::kSymbol] = batch_symbol_[k];
    r[record::kSeq] = static_cast<double>(batch_seq_[k]);
    r[record::kTs] = batch_ts_[k];
    r[record::kSubmitNs] = static_cast<double>(batch_submit_ns_[k]);
    const bool on_b = batch_slot_[k] == model_slot::kB;
    r[record::kQueueNs] = static_cast<double>((on_b ? batch_b_start_ns_ : batch_start_ns_) - batch_submit_ns_[k]);
    r[record::kComputeNs] = static_cast<double>(on_b ? batch_b_compute_ns_ : batch_compute_ns_);
    r[record::kMid] = batch_mid_[k];
    r[record::kSlot] = batch_slot_[k];
    if (!batch_failed_) {
      const double* rows = on_b ? b_rows_.data() : batch_rows_.data();
      const size_t row = static_cast<size_t>(batch_split_ ? batch_rank_[k] : k);
      std::memcpy(r + record::kRow, rows + row * width, sizeof(double) * prediction_row::kEmbedding);
    }
  }
  block->count = n;
}

// The batch's results are on their way to JS: now the drift histograms and the shadows take its
// books (from the arena, which the next take_batch reuses), off the batch's latency.
void BookStream::after_delivery(int n) {
  if (drift_) {
    for (int k = 0; k < n; ++k) drift_->add(batch_views_[k], config_.order_flow ? batch_flow_ptrs_[k] : nullptr);
  }
  std::lock_guard<std::mutex> lock(shadow_mu_);
  if (shadows_.empty()) return;
  const BatchView view{batch_views_.data(), config_.order_flow ? batch_flow_ptrs_.data() : nullptr,
                       batch_symbol_.data(), batch_seq_.data(), batch_ts_.data(), batch_mid_.data(),
                       batch_submit_ns_.data()};
  for (ShadowRunner* shadow : shadows_) shadow->push(view, n);
}

// Polls for a book for up to spin_us before the thread sleeps: a submit that finds the thread
// spinning needs no futex wake (about 5 µs on each side), and the book starts at once. The wait
// below re-checks under the lock, so a book that lands as the spin ends is never missed.
void BookStream::spin_for_work(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(config_.spin_us);
  while (!work_hint_.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_ia32_pause();
#endif
  }
  lock.lock();
}

void BookStream::run() {
  name_this_thread("hg-stream");
#ifdef __linux__
  // The batching window is tens of microseconds; the default 50 µs timer slack would swallow it.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
#endif
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (config_.spin_us > 0 && counters_.queued == 0 && mode_ == Mode::Run) spin_for_work(lock);
    // Under the lock, as submit's set_busy: nothing is queued, in flight or being delivered.
    if (counters_.queued == 0) gate_->set_idle();
    thread_idle_ = true;
    work_cv_.wait(lock, [&] {
      return counters_.queued > 0 || mode_ != Mode::Run || offered_.load(std::memory_order_relaxed) != nullptr ||
             offered_b_.load(std::memory_order_relaxed) != nullptr;
    });
    thread_idle_ = false;
    if (mode_ == Mode::Discard) break;
    if (counters_.queued == 0) {
      if (mode_ != Mode::Run) break;  // draining, and nothing is left
      // An offer came while a batch ran and nothing is queued: take the model now, so the one it
      // replaces is freed without waiting for a book.
      adopt_offer();
      continue;
    }
    if (mode_ == Mode::Run && config_.max_wait_us > 0 && counters_.queued < static_cast<uint64_t>(config_.max_batch)) {
      thread_batching_ = true;
      work_cv_.wait_for(lock, std::chrono::microseconds(config_.max_wait_us), [&] {
        return counters_.queued >= static_cast<uint64_t>(config_.max_batch) || mode_ != Mode::Run;
      });
      thread_batching_ = false;
      if (mode_ == Mode::Discard) break;  // begin_close discarded what was queued
    }
    const int n = take_batch();
    lock.unlock();
    // Between two batches: a whole batch runs on one model (per slot).
    adopt_offer();
    route_batch(n);
    // Books keep arriving (and superseding) in their slots while this batch computes.
    compute_batch(n);
    lock.lock();
    // Backpressure: with every block still in JS, wait; slots keep absorbing newer books.
    ResultBlock* block = results_.acquire(lock, block_cv_);
    if (block == nullptr) {
      counters_.in_flight -= static_cast<uint64_t>(n);
      break;
    }
    fill_block(n, block);
    counters_.in_flight -= static_cast<uint64_t>(n);
    counters_.in_delivery += static_cast<uint64_t>(n);
    ++counters_.batches;
    lock.unlock();
    const bool delivered = results_.deliver(block);
    if (delivered) after_delivery(n);
    lock.lock();
    if (!delivered) {
      counters_.in_delivery -= static_cast<uint64_t>(n);
      results_.refused(block);
      mode_ = Mode::Discard;
      break;
    }
  }
  gate_->set_idle();  // the thread is done: a shadow still draining has the cores to itself
  results_.finish(lock);
}

}  // namespace hawkgraph::stream
