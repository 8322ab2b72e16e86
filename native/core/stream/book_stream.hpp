// Streaming inference: books submitted per symbol (latest wins) are micro-batched on one native
// thread that runs a sibling GnnEngine (its model replaced between two batches by offer()), and the
// results leave through a bounded pool of result blocks handed to a delivery callback. A share of
// symbols may run on a second model (the A/B split's B); once a batch is delivered, its books go to
// the drift histograms and to any shadows (shadow_runner.hpp). Plain C++
// (no Node headers): the addon supplies the callback (a thread-safe function) and calls
// submit/release from the JS thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include "../book.hpp"
#include "../gnn_engine.hpp"
#include "../limits.hpp"
#include "primary_gate.hpp"
#include "result_pool.hpp"

namespace hawkgraph::stream {

class DriftMonitor;
class ShadowRunner;

// A native thread the addon stops and joins at process exit (before static destructors run).
class Stoppable {
 public:
  virtual ~Stoppable() = default;
  virtual void stop_and_join() = 0;
};

// One batch's books as the stream thread holds them, for a shadow to copy (arrays of `count`).
struct BatchView {
  const BookView* books;
  const double* const* flows;  // null unless the stream computes order flow
  const int* symbol;
  const uint64_t* seq;
  const double* ts;
  const double* mid;
  const int64_t* submit_ns;
};

struct StreamConfig {
  int max_batch = limits::kStreamMaxBatch.fallback;       // books per forward batch
  int max_wait_us = limits::kStreamMaxWaitUs.fallback;      // once a first book is pending, wait this long for more (0: take what is there)
  int spin_us = limits::kStreamSpinUs.fallback;          // when idle, poll this long for a book before sleeping (0: sleep at once)
  int max_symbols = limits::kStreamMaxSymbols.fallback;   // distinct symbols one stream accepts
  int result_blocks = 4;    // blocks in flight between the thread and JS: the backpressure bound
  bool order_flow = false;  // compute the order-flow feature between consecutive snapshots
};

// Whether a model reads the order-flow feature (its metadata says order_flow = per_ms), so a
// stream computes it between consecutive snapshots of a symbol.
bool model_uses_order_flow(const GnnModel& model);

// The layout of a delivered book's record (record::*) is in layouts.hpp; its blocks in result_pool.hpp.

// A discarded or otherwise dropped book: which symbol, which seq.
struct DroppedBook {
  int symbol;
  uint64_t seq;
};

// Where every submitted book is at one instant (taken under the stream's lock).
struct StreamCounters {
  uint64_t submitted = 0;
  uint64_t superseded = 0;   // replaced in its slot before the thread took it
  uint64_t discarded = 0;    // still queued when close(drain: false) ran
  uint64_t queued = 0;       // in slots, waiting for the thread
  uint64_t in_flight = 0;    // taken by the thread, not yet handed to delivery
  uint64_t in_delivery = 0;  // in blocks handed to delivery, not yet released by JS
  uint64_t released = 0;     // in blocks JS has dispatched and released
  uint64_t batches = 0;
};

int64_t steady_now_ns();

class BookStream final : public Stoppable {
 public:
  // Called on the stream thread with a filled block, or with nullptr once when the thread has
  // finished after begin_close(). Returns false when delivery is shut (the environment is going
  // away); the block then returns to the pool and the thread stops.
  using Deliver = ResultPool::Deliver;

  // `drift` (optional): the input-drift histograms the thread fills with each delivered batch.
  BookStream(std::unique_ptr<GnnEngine> engine, const StreamConfig& config, Deliver deliver,
             std::unique_ptr<DriftMonitor> drift = nullptr);
  ~BookStream() override;  // stops (discarding) and joins
  BookStream(const BookStream&) = delete;
  BookStream& operator=(const BookStream&) = delete;

  const StreamConfig& config() const { return config_; }

  // JS thread. Validates the book exactly as predict() does (validate_book; throws and changes
  // nothing for a bad book), copies it into the symbol's slot and wakes the thread if it sleeps.
  // Returns the book's seq; *superseded gets the seq of the unprocessed book it replaced, or 0.
  uint64_t submit(int symbol, const BookView& book, double ts, uint64_t* superseded);

  // JS thread: a block delivered earlier has been dispatched; it returns to the pool.
  void release(ResultBlock* block);

  // JS thread. Drain: the thread finishes every queued book, then exits. Otherwise queued books
  // are discarded into *discarded and the thread exits after its current batch. Either way the
  // thread's last act is deliver(nullptr).
  void begin_close(bool drain, std::vector<DroppedBook>* discarded);

  // JS thread: the thread runs `run` (built off the hot path for a model the engine accepted) from
  // its next batch on (an idle thread is not woken for it). The thread takes it with one atomic
  // exchange and hands the run it replaces back without allocating; so does a run offered earlier
  // and never taken. take_retired() gets them.
  void offer(std::unique_ptr<ModelRun> run);

  // JS thread: the A/B split. A symbol whose route (a stable hash of its name in [0, 1), set
  // before its first submit) is below share_b goes to model B once B has a model: offer_b_engine
  // gives B its first one (an engine built around a prepared run), offer_b later ones (as offer).
  void set_route(int symbol, double route);
  void set_share_b(double share) { share_b_.store(share, std::memory_order_relaxed); }
  bool has_b() const { return b_offered_; }
  void offer_b_engine(std::unique_ptr<GnnEngine> engine);
  void offer_b(std::unique_ptr<ModelRun> run);

  // JS thread: from the next delivered batch on, the stream thread hands its books to `shadow`
  // too / no longer does (detach returns once the thread cannot be using it).
  void attach_shadow(ShadowRunner* shadow);
  void detach_shadow(ShadowRunner* shadow);
  // Busy from a book's submit until the thread has delivered all it had: what yielding shadows wait on.
  const std::shared_ptr<PrimaryGate>& gate() const { return gate_; }

  // The drift histograms, or null (no feature_stats in the model's metadata, or turned off).
  const DriftMonitor* drift() const { return drift_.get(); }

  // JS thread: the runs nothing uses any more, linked through retired_next (null: none), for the
  // caller to free where freeing costs no thread anything that matters.
  ModelRun* take_retired();

  // Any thread: stop now (discarding, no final delivery) and join. Idempotent.
  void stop_and_join() override;

  // JS thread, after deliver(nullptr): joins the finished thread.
  void join();

  StreamCounters counters() const;

 private:
  struct Slot {
    std::vector<double> book;  // 4 * L: bidPx, bidSz, askPx, askSz (swapped, never copied, under the lock)
    std::vector<double> flow;  // 2 * L order flow per node (when enabled)
    int nb = 0, na = 0;
    uint64_t seq = 0;
    double ts = 0;
    double mid = 0;  // at submit: what a scorer compares a later mid with
    double route = 1;  // the A/B split's hash of the symbol in [0, 1); 1: never B
    int64_t submit_ns = 0;
    bool pending = false;
    bool allocated = false;  // JS thread only
    // The previous snapshot, for order flow; only submit (the JS thread) reads or writes these.
    std::vector<double> prev_bid_sz, prev_ask_sz;
    int prev_nb = 0, prev_na = 0;
    double prev_ts = 0;
    bool has_prev = false;
  };
  enum class Mode { Run, Drain, Discard };

  void run();
  void spin_for_work(std::unique_lock<std::mutex>& lock);
  int take_batch();  // under lock: moves up to max_batch queued slots into the batch arena
  void compute_batch(int n);                      // no lock held: runs the engine(s) on the arena
  void route_batch(int n);  // no lock held: each book's slot, and the per-model views the engines read
  void after_delivery(int n);  // drift histograms and shadows, once the batch is on its way
  void fill_block(int n, ResultBlock* block) const;  // under lock
  void adopt_offer();  // the thread, between batches: installs offered runs, retires the old ones
  void retire(ModelRun* run);  // any thread: pushes onto retired_ (lock-free)

  std::unique_ptr<GnnEngine> engine_;  // the sibling this thread owns
  std::unique_ptr<GnnEngine> engine_b_;  // the A/B split's model B, once offered (this thread's)
  const StreamConfig config_;
  const int levels_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // the thread waits here for books
  std::condition_variable block_cv_;  // and here for a free result block
  Mode mode_ = Mode::Run;
  bool thread_idle_ = false;          // waiting for a first book: submit must notify
  std::atomic<bool> work_hint_{false};  // a book is queued: what the spinning thread polls without the lock
  bool thread_batching_ = false;      // inside the max_wait window: notify only on a full batch
  std::vector<Slot> slots_;
  std::vector<int> ring_;             // FIFO of pending symbols; each at most once
  size_t ring_head_ = 0;
  uint64_t next_seq_ = 0;
  StreamCounters counters_;
  ResultPool results_;  // under mu_

  // JS thread: the book being submitted and its order flow, swapped into the slot under the lock.
  // Buffers only ever change hands (staging <-> slot <-> batch), so none is allocated per book.
  std::vector<double> staging_book_, staging_flow_;

  // Batch arena, the thread's own.
  std::vector<std::vector<double>> batch_books_, batch_flows_;  // max_batch buffers of 4L / 2L
  std::vector<double> batch_rows_;
  std::vector<const double*> batch_flow_ptrs_;
  std::vector<BookView> batch_views_;
  std::vector<int> batch_symbol_;
  std::vector<uint64_t> batch_seq_;
  std::vector<double> batch_ts_, batch_mid_;
  std::vector<int> batch_slot_;  // model_slot:: of each book
  // The split batch: per model, its books' views (and flows) in queue order; book k's row is
  // row batch_rank_[k] of its model's rows. Unused (the batch arrays serve) when B has no model.
  int batch_n_[2] = {0, 0};
  std::vector<BookView> model_views_[2];
  std::vector<const double*> model_flows_[2];
  std::vector<double> b_rows_;
  std::vector<int> batch_rank_;
  bool batch_split_ = false;
  int64_t batch_b_start_ns_ = 0, batch_b_compute_ns_ = 0;
  std::vector<int64_t> batch_submit_ns_;
  int64_t batch_start_ns_ = 0, batch_compute_ns_ = 0;
  bool batch_failed_ = false;
  std::string batch_error_code_, batch_error_message_;

  // A swap's handoff: offered_ is filled by offer() and emptied by the thread; retired_ is a
  // lock-free stack (linked through ModelRun::retired_next) the thread pushes onto and
  // take_retired() empties in one exchange, so neither side waits or allocates.
  std::atomic<ModelRun*> offered_{nullptr};
  std::atomic<ModelRun*> retired_{nullptr};
  // Model B's: its first engine, then its runs; offered and taken the same way.
  std::atomic<GnnEngine*> offered_b_engine_{nullptr};
  std::atomic<ModelRun*> offered_b_{nullptr};
  std::atomic<double> share_b_{0};
  bool b_offered_ = false;  // JS thread: offer_b_engine ran

  // Shadows: the stream thread takes shadow_mu_ once per delivered batch (uncontended but for an
  // attach or detach).
  std::mutex shadow_mu_;
  std::vector<ShadowRunner*> shadows_;
  std::shared_ptr<PrimaryGate> gate_ = std::make_shared<PrimaryGate>();
  std::unique_ptr<DriftMonitor> drift_;

  std::mutex join_mu_;
  std::thread thread_;
};

}  // namespace hawkgraph::stream
