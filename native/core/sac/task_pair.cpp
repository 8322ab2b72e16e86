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

// An update's tasks are tens of microseconds apart, too close for a sleep and wake; between
// updates (an environment step) the helper yields its core after this many spins.
constexpr int kSpinsBeforeYield = 4096;

}  // namespace

TaskPair::TaskPair(int threads) {
  if (threads >= 2) worker_ = std::thread([this] { worker_loop(); });
}

TaskPair::~TaskPair() {
  if (worker_.joinable()) {
    stop_.store(true, std::memory_order_release);
    worker_.join();
  }
}

void TaskPair::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    uint64_t e;
    int spins = 0;
    while ((e = epoch_.load(std::memory_order_acquire)) == seen) {
      if (stop_.load(std::memory_order_acquire)) return;
      if (++spins > kSpinsBeforeYield) {
        std::this_thread::yield();
      } else {
        cpu_relax();
      }
    }
    seen = e;
    fn_(ctx_, 1);
    done_.store(e, std::memory_order_release);
  }
}

void TaskPair::wait_done(uint64_t epoch) const {
  while (done_.load(std::memory_order_acquire) != epoch) cpu_relax();
}

}  // namespace hawkgraph::sac
