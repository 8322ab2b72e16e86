// A shadow model: a candidate run on the books a stream's primary model sees, on a thread of its
// own at a lower scheduling priority, so it never takes the primary's time. Given the stream's
// gate (primary_gate.hpp), it also yields: each book waits until the primary has no work, for
// machines without a spare core, where a lower priority alone still leaves the primary's events
// waiting for a core (the scheduler lets a running thread finish its slice). The stream thread
// hands it each delivered batch's books through a bounded single-producer queue: a book that does
// not fit is dropped and counted, the stream thread never waits. Results leave through a pool of
// result blocks, as the stream's do. Plain C++ (no Node headers).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../book.hpp"
#include "../gnn_engine.hpp"
#include "book_stream.hpp"
#include "primary_gate.hpp"

namespace hawkgraph::stream {

struct ShadowCounters {
  uint64_t offered = 0;    // books the stream handed it
  uint64_t dropped = 0;    // of those, not queued: the queue was full
  uint64_t discarded = 0;  // queued when it closed without draining
  uint64_t queued = 0;     // in the queue now (the one being computed included)
  uint64_t delivered = 0;  // in blocks handed to delivery
  uint64_t failed = 0;     // of those, in failed batches
  uint64_t batches = 0;
};

class ShadowRunner final : public Stoppable {
 public:
  using Deliver = BookStream::Deliver;

  // `gate`: the stream's, to yield to its primary; null to compute whenever books are queued.
  ShadowRunner(std::unique_ptr<GnnEngine> engine, int max_batch, int queue_books, bool order_flow,
               std::shared_ptr<PrimaryGate> gate, Deliver deliver);
  ~ShadowRunner() override;  // stops (discarding) and joins
  ShadowRunner(const ShadowRunner&) = delete;
  ShadowRunner& operator=(const ShadowRunner&) = delete;

  // The stream thread: queues what fits of a batch's books (views, and order flows when the
  // stream computes them); the rest are dropped and counted. No lock unless the shadow sleeps.
  void push(const BatchView& batch, int count);

  // JS thread: a block delivered earlier has been dispatched.
  void release(ResultBlock* block);

  // JS thread. Drain: the thread predicts what is queued first; else it is discarded (counted).
  // The thread's last act is deliver(nullptr).
  void begin_close(bool drain);

  void stop_and_join() override;
  void join();
  ShadowCounters counters() const;
  const GnnModel& model() const { return engine_->model(); }

 private:
  struct Entry {
    std::vector<double> book;  // 4 L
    std::vector<double> flow;  // 2 L, when the stream computes order flow
    int nb = 0, na = 0, symbol = 0;
    uint64_t seq = 0;
    double ts = 0, mid = 0;
    int64_t submit_ns = 0;
  };
  enum class Mode { Run, Drain, Discard };

  void run();
  void stop_waiting();      // after a close: ends every wait (the gate, the queue, a result block)
  int take(int n);          // views of queue entries [tail, tail + n)
  void compute(int n);
  void fill_block(int n, ResultBlock* block) const;

  std::unique_ptr<GnnEngine> engine_;
  const std::shared_ptr<PrimaryGate> gate_;
  std::atomic<bool> stopping_{false};  // closing: a yielding shadow stops waiting for the gate
  const int levels_, max_batch_;
  const bool order_flow_;
  std::vector<Entry> queue_;
  std::atomic<uint64_t> head_{0}, tail_{0};  // head: the stream thread's; tail: this thread's
  std::atomic<bool> sleeping_{false};
  std::atomic<uint64_t> offered_{0}, dropped_{0};

  mutable std::mutex mu_;
  std::condition_variable work_cv_, block_cv_;
  Mode mode_ = Mode::Run;
  uint64_t discarded_ = 0, delivered_ = 0, failed_ = 0, batches_ = 0;
  ResultPool results_;  // under mu_

  std::vector<BookView> views_;
  std::vector<const double*> flow_ptrs_;
  std::vector<double> rows_;
  int64_t start_ns_ = 0, compute_ns_ = 0;
  bool failed_batch_ = false;
  std::string error_code_, error_message_;

  std::mutex join_mu_;
  std::thread thread_;
};

}  // namespace hawkgraph::stream
