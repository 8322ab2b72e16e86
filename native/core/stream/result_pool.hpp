// The result blocks a stream thread (a book stream's or a shadow's) hands to JS: a fixed pool, so
// a JS thread that falls behind holds the thread back (backpressure) instead of growing memory,
// and the delivery callback they travel through. Every member but the constructor and deliver()
// runs under the owning stream's lock. Plain C++ (no Node headers).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../layouts.hpp"

namespace hawkgraph::stream {

struct ResultBlock {
  std::vector<double> records;  // max_batch * record::kWidth
  int count = 0;
  bool failed = false;          // the batch threw: `error_*` say why, the books count as dropped
  std::string error_code, error_message;
};

class ResultPool {
 public:
  // Called on the stream thread with a filled block, or with nullptr once when the thread has
  // finished. Returns false when delivery is shut (the environment is going away).
  using Deliver = std::function<bool(ResultBlock*)>;

  ResultPool(int blocks, int max_batch, Deliver deliver) : deliver_(std::move(deliver)) {
    for (int i = 0; i < blocks; ++i) {
      auto block = std::make_unique<ResultBlock>();
      block->records.resize(static_cast<size_t>(max_batch) * record::kWidth);
      free_.push_back(block.get());
      blocks_.push_back(std::move(block));
    }
  }

  // The thread: waits on `cv` for a free block. Null once shut().
  ResultBlock* acquire(std::unique_lock<std::mutex>& lock, std::condition_variable& cv) {
    waiting_ = true;
    cv.wait(lock, [&] { return !free_.empty() || !open_; });
    waiting_ = false;
    if (free_.empty()) return nullptr;
    ResultBlock* block = free_.back();
    free_.pop_back();
    return block;
  }

  // JS thread: a dispatched block returns. True when the thread waits for one (notify its cv).
  bool release(ResultBlock* block) {
    block->count = 0;
    free_.push_back(block);
    return waiting_;
  }

  // The thread, lock not held: hands a filled block to JS. False when delivery is shut.
  bool deliver(ResultBlock* block) { return deliver_(block); }

  // After deliver() returned false: the block returns and no delivery follows, not even the final one.
  void refused(ResultBlock* block) {
    block->count = 0;
    free_.push_back(block);
    open_ = false;
  }

  // stop_and_join: no more deliveries at all; a thread waiting in acquire() gets null.
  void shut() { open_ = false; }

  // The thread's last act: deliver(nullptr), unless shut. Releases the lock.
  void finish(std::unique_lock<std::mutex>& lock) {
    const bool final_delivery = open_;
    lock.unlock();
    if (final_delivery) deliver_(nullptr);
  }

 private:
  Deliver deliver_;
  std::vector<std::unique_ptr<ResultBlock>> blocks_;
  std::vector<ResultBlock*> free_;
  bool waiting_ = false;
  bool open_ = true;
};

}  // namespace hawkgraph::stream
