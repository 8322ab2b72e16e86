#include "thread_pool.hpp"

#include <chrono>
#include <cstdlib>
#include <deque>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace hawkgraph {

void lower_thread_priority() {
#ifdef __linux__
  constexpr int kBackgroundNice = 10;
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kBackgroundNice);
#endif
}

void name_this_thread(const char* name) {
#ifdef __linux__
  pthread_setname_np(pthread_self(), name);
#else
  (void)name;
#endif
}

void idle_thread_priority() {
#ifdef __linux__
  sched_param param{};
  if (sched_setscheduler(0, SCHED_IDLE, &param) == 0) return;
#endif
  lower_thread_priority();
}

namespace {

// A background thread and its queue. Never destroyed, so no exit path joins it; at exit() it
// stops (after the job under way, whose work must not meet static destructors) and what is still
// queued is dropped unrun.
class BackgroundThread {
 public:
  enum class Policy { Idle, Nice };
  explicit BackgroundThread(Policy policy) : policy_(policy) { std::thread([this] { loop(); }).detach(); }

  // `wake`: false for a job that may wait (a free). It runs after the job under way, or when the
  // thread's linger after its last job ends; only a thread already asleep for good is woken for it.
  void post(std::function<void()> work, bool wake) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_) return;
      queue_.push_back(std::move(work));
      if (!wake && (busy_ || lingering_)) return;
      if (wake) urgent_ = true;
    }
    wake_.notify_one();
  }

  void stop_at_exit() {
    std::unique_lock<std::mutex> lock(mutex_);
    stopped_ = true;
    idle_.wait(lock, [&] { return !busy_; });
    new std::deque<std::function<void()>>(std::move(queue_));  // leaked: no job's captures are destroyed at exit
  }

 private:
  void loop() {
    if (policy_ == Policy::Idle) {
      name_this_thread("hg-background");
      idle_thread_priority();
    } else {
      name_this_thread("hg-background-n");
      lower_thread_priority();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return !queue_.empty() && !stopped_; });
      std::function<void()> work = std::move(queue_.front());
      queue_.pop_front();
      urgent_ = false;
      busy_ = true;
      lock.unlock();
      try {
        work();
      } catch (...) {
        // Documented: jobs report their own failures; one that escapes must not end the thread.
      }
      work = nullptr;  // its captures are released here, off the lock
      lock.lock();
      busy_ = false;
      idle_.notify_all();
      if (queue_.empty()) linger(lock);
    }
  }

  // After a job, a while in which jobs posted without a wake are picked up by this thread's own
  // timer: a swap's frees follow its preparation within milliseconds, and each wake of a sleeping
  // thread costs the JS thread that posts it several microseconds (a cross-core interrupt, a
  // hypervisor exit on a VM). An urgent job ends the linger at once.
  void linger(std::unique_lock<std::mutex>& lock) {
    lingering_ = true;
    wake_.wait_for(lock, kLinger, [&] { return urgent_ || stopped_; });
    lingering_ = false;
  }

  static constexpr std::chrono::milliseconds kLinger{20};
  const Policy policy_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false, stopped_ = false, lingering_ = false, urgent_ = false;
};

// Each thread is started at its first job and stopped at exit.
template <BackgroundThread::Policy policy>
BackgroundThread& background_thread() {
  static BackgroundThread* const background = [] {
    auto* b = new BackgroundThread(policy);
    std::atexit([] { background_thread<policy>().stop_at_exit(); });
    return b;
  }();
  return *background;
}

// Whether the machine has CPU time to spare: the 1-minute load average below the CPUs this process
// may run on, less half a core. Without it an idle-policy thread gets about 0.3 % of a core (a
// swap of a small model took up to 0.7 s beside two compilers on 2 cores), so the job goes to the
// nice +10 thread, which gets about a tenth.
bool spare_cpu() {
#ifdef __linux__
  double load = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (getloadavg(&load, 1) != 1 || sched_getaffinity(0, sizeof set, &set) != 0) return true;
  return load < CPU_COUNT(&set) - 0.5;
#else
  return true;
#endif
}

void post(std::function<void()> work, bool wake) {
  using Policy = BackgroundThread::Policy;
  if (spare_cpu()) {
    background_thread<Policy::Idle>().post(std::move(work), wake);
  } else {
    background_thread<Policy::Nice>().post(std::move(work), wake);
  }
}

}  // namespace

void post_to_background(std::function<void()> work) { post(std::move(work), true); }

void post_to_background_lazily(std::function<void()> work) { post(std::move(work), false); }

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::drain(int worker) {
  for (;;) {
    const int item = next_.fetch_add(1, std::memory_order_relaxed);
    if (item >= count_) return;
    body_(ctx_, worker, item);
  }
}

void ThreadPool::worker_loop(int index) {
  name_this_thread("hg-pool");
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    drain(index);
    std::lock_guard<std::mutex> lock(mutex_);
    if (--busy_ == 0) finished_.notify_one();
  }
}

void ThreadPool::run(int count, void (*body)(void*, int, int), void* ctx) {
  if (workers_.empty() || count <= 1) {
    for (int i = 0; i < count; ++i) body(ctx, 0, i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = body;
    ctx_ = ctx;
    count_ = count;
    next_.store(0, std::memory_order_relaxed);
    busy_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  drain(0);
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [&] { return busy_ == 0; });
}

}  // namespace hawkgraph
