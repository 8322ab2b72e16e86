// Two tasks of a SAC update run side by side (the twin critics are independent networks): on
// one thread in turn, or on the caller and one helper thread. Each task is the same code on the
// same data whichever thread runs it, so results do not depend on the thread count. A waiting
// side spins briefly (tasks are tens of microseconds apart), then sleeps on a condition
// variable, so a machine with more runnable threads than cores is not held by a spinner.
// Plain C++.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace hawkgraph::sac {

class TaskPair {
 public:
  explicit TaskPair(int threads);
  ~TaskPair();
  TaskPair(const TaskPair&) = delete;
  TaskPair& operator=(const TaskPair&) = delete;

  // Runs f(0) and f(1), returning when both are done; allocates nothing.
  template <class F>
  void run(F& f) {
    if (!worker_.joinable()) {
      f(0);
      f(1);
      return;
    }
    fn_ = &call<F>;
    ctx_ = &f;
    const uint64_t e = epoch_.fetch_add(1) + 1;
    wake(worker_sleeping_, work_cv_);
    f(0);
    wait_done(e);
  }

 private:
  template <class F>
  static void call(void* ctx, int k) {
    (*static_cast<F*>(ctx))(k);
  }
  void worker_loop();
  void wait_done(uint64_t epoch);
  void wake(const std::atomic<bool>& sleeping, std::condition_variable& cv);

  // Sequentially consistent throughout: a side publishes its flag (epoch_ / done_) before reading
  // whether the other sleeps, and a sleeper sets its flag before re-reading the other's, so no
  // wake-up is lost.
  std::atomic<uint64_t> epoch_{0}, done_{0};
  std::atomic<bool> stop_{false}, worker_sleeping_{false}, caller_sleeping_{false};
  std::mutex mutex_;
  std::condition_variable work_cv_, done_cv_;
  void (*fn_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  std::thread worker_;
};

}  // namespace hawkgraph::sac
