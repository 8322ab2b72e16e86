#include "task_pair.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace hawkgraph::sac {
namespace {

void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

// About 50 to 100 microseconds of pauses: longer than the gaps between an update's tasks, short
// enough that a side that waits for a preempted partner soon gives up its core.
constexpr int kSpinsBeforeSleep = 2048;

}  // namespace

TaskPair::TaskPair(int threads) {
  if (threads >= 2) worker_ = std::thread([this] { worker_loop(); });
}

TaskPair::~TaskPair() {
  if (worker_.joinable()) {
    stop_.store(true);
    wake(worker_sleeping_, work_cv_);
    worker_.join();
  }
}

void TaskPair::wake(const std::atomic<bool>& sleeping, std::condition_variable& cv) {
  if (!sleeping.load()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  cv.notify_one();
}

void TaskPair::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (epoch_.load() == seen && !stop_.load()) {
      if (++spins < kSpinsBeforeSleep) {
        cpu_relax();
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      worker_sleeping_.store(true);
      work_cv_.wait(lock, [&] { return epoch_.load() != seen || stop_.load(); });
      worker_sleeping_.store(false);
    }
    if (stop_.load()) return;
    seen = epoch_.load();
    fn_(ctx_, 1);
    done_.store(seen);
    wake(caller_sleeping_, done_cv_);
  }
}

void TaskPair::wait_done(uint64_t epoch) {
  int spins = 0;
  while (done_.load() != epoch) {
    if (++spins < kSpinsBeforeSleep) {
      cpu_relax();
      continue;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    caller_sleeping_.store(true);
    done_cv_.wait(lock, [&] { return done_.load() == epoch; });
    caller_sleeping_.store(false);
  }
}

}  // namespace hawkgraph::sac
