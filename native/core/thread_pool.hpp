// A persistent pool of host threads (the CPU backend's batch inference, the engine's parallel
// validation and staging): workers are created once and park on a condition variable between
// runs, so no thread is created per call. Plain C++; no backend. The calling thread
// works too (as worker 0). One run() at a time (the engine serves one caller at a time).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hawkgraph {

// Lowers the calling thread's scheduling priority to nice +10 (Linux; elsewhere nothing): under
// CFS it then gets about a tenth of a core that a nice-0 thread also wants, so background work
// (a shadow model, a model being prepared for a swap) does not take a stream's time on a machine
// without a spare core, yet still progresses. One way only: a thread cannot raise it back, and
// threads it creates inherit it.
void lower_thread_priority();

// Names the calling thread (Linux: at most 15 characters, shown by top -H, perf and gdb).
void name_this_thread(const char* name);

// Moves the calling thread to SCHED_IDLE (Linux; elsewhere lower_thread_priority): it runs only
// when a core has nothing else to run and is preempted as soon as anything wakes there.
void idle_thread_priority();

// Queues `work` for one of the process's two background threads and returns at once. For
// CPU-heavy steps that create no threads (those would inherit its priority): parsing and packing
// a model for a swap or a shadow, freeing a retired one. Each thread is started once, at its first
// job, and lives for the process. While the machine has CPU time to spare (the 1-minute load
// average below the usable CPUs less half a core) jobs go to the SCHED_IDLE one ("hg-background";
// elsewhere than Linux nice +10): it runs only on a core nothing else wants and yields that core
// the moment a stream's or the event loop's thread wakes, so these steps take no CPU from a stream
// and cost no thread creation each. Otherwise they go to a nice +10 one ("hg-background-n"), which
// still progresses on a saturated machine. Jobs on one thread run one at a time, in the order
// queued; `work` must not throw (what it throws is lost).
void post_to_background(std::function<void()> work);

// post_to_background for a job that may wait some milliseconds (freeing a retired model): it does
// not wake a thread that is busy or lingering after a job (within 20 ms of its last), which picks it
// up itself; a thread asleep for longer is woken.
void post_to_background_lazily(std::function<void()> work);

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
