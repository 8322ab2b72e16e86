// Whether a stream's primary model has work, for the shadows that yield to it. Set when a book is
// queued, cleared when the stream's thread has delivered everything and is about to sleep: from
// the first book of a burst to its last event handed to JS, the primary (and the JS thread that
// dispatches its events) may want every core. A yielding shadow checks the gate before each book
// and parks while it is set, so on a machine with no spare core the shadow's passes run only in
// the primary's idle time and never take a core from it or from the JS thread. The stream and its
// shadows share it (shared_ptr): a shadow may outlive the stream's core. Plain C++.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace hawkgraph::stream {

class PrimaryGate {
 public:
  // A book was queued (the submitting thread, under the stream's lock): no fence, a shadow seeing
  // it a book late costs that book's overlap at most.
  void set_busy() { busy_.store(true, std::memory_order_relaxed); }

  // The stream's thread has nothing left: wakes the shadows parked on the gate. The futex wake
  // (when one is parked) is paid here, after the last delivery, off every event's latency.
  void set_idle() {
    busy_.store(false, std::memory_order_seq_cst);
    if (parked_.load(std::memory_order_seq_cst) != 0) wake_all();
  }

  // A shadow's thread: returns once the primary is idle or `stop` is set. Paired with set_idle:
  // the shadow counts itself parked before it reads busy_, the stream clears busy_ before it
  // reads the count, so one of the two sees the other (both seq_cst) and no wake is lost.
  void wait_idle(const std::atomic<bool>& stop) {
    if (!busy_.load(std::memory_order_relaxed) || stop.load(std::memory_order_relaxed)) return;
    std::unique_lock<std::mutex> lock(mu_);
    parked_.fetch_add(1, std::memory_order_seq_cst);
    cv_.wait(lock, [&] { return !busy_.load(std::memory_order_seq_cst) || stop.load(std::memory_order_seq_cst); });
    parked_.fetch_sub(1, std::memory_order_relaxed);
  }

  // Ends every wait_idle whose condition now holds: after set_idle, or after a shadow sets its
  // `stop` flag. Under the lock, so no waiter sits between its check and its wait.
  void wake_all() {
    { std::lock_guard<std::mutex> lock(mu_); }
    cv_.notify_all();
  }

 private:
  std::atomic<bool> busy_{false};
  std::atomic<int> parked_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace hawkgraph::stream
