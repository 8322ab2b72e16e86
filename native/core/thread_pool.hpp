// A persistent pool of host threads (the CPU backend's batch inference, the engine's parallel
// validation and staging): workers are created once and park on a condition variable between
// runs, so no thread is created per call. Plain C++; no backend. The calling thread
// works too (as worker 0). One run() at a time (the engine serves one caller at a time).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace hawkgraph {

class ThreadPool {
 public:
  // `threads` counts the caller: threads - 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(ctx, worker, item) for every item in [0, count), items claimed one at a time from
  // a shared counter (books cost the same, so this balances without chunk tuning). `worker` is
  // in [0, threads()) and unique among concurrent calls: index per-thread scratch with it.
  // Returns when every item is done.
  void run(int count, void (*body)(void*, int, int), void* ctx);

 private:
  void worker_loop(int index);
  void drain(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  int busy_ = 0;
  // The current job; written under the mutex before generation_ moves.
  void (*body_)(void*, int, int) = nullptr;
  void* ctx_ = nullptr;
  int count_ = 0;
  std::atomic<int> next_{0};
};

}  // namespace hawkgraph
