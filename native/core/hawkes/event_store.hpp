// Where the CPU simulators keep the events of each path until the run ends: chunks carved from a
// per-thread arena. A path grows by chunks of 16, 32, ... up to 4096 events, never by
// reallocating and copying, and large arena slabs are advised onto huge pages, so storing an
// event costs a few stores instead of page faults every 4 KiB. Plain C++; no Node headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace hawkgraph::hawkes {

// Which columns a run stores besides times and types.
struct EventColumns {
  bool intensity = false;
  bool lob = false;  // bid, ask (ticks) and jump
};

struct EventChunk {
  EventChunk* next = nullptr;
  int32_t capacity = 0;
  double* times = nullptr;
  double* intensity = nullptr;
  double* bid = nullptr;
  double* ask = nullptr;
  int32_t* types = nullptr;
  int32_t* jump = nullptr;
};

// Bump allocation from slabs that live as long as the arena; not thread-safe (one per thread).
// Slabs go back to a process-wide cache of at most 64 MiB when the arena ends.
class EventArena {
 public:
  EventArena() = default;
  EventArena(const EventArena&) = delete;
  EventArena& operator=(const EventArena&) = delete;
  ~EventArena();

  // 64-byte aligned; throws ERR_OUT_OF_MEMORY when the host has no more.
  void* allocate(size_t bytes);

 private:
  std::vector<std::pair<void*, size_t>> slabs_;
  char* cursor_ = nullptr;
  size_t left_ = 0;
  size_t next_slab_ = size_t{256} << 10;
};

struct PathEvents {
  EventChunk* head = nullptr;
  EventChunk* tail = nullptr;
  int32_t fill = 0;  // events in tail
  int64_t count = 0;
  int32_t chunks = 0;
  bool truncated = false;

  void append(EventArena& arena, const EventColumns& cols, double t, int32_t type, double lambda, int64_t bid,
              int64_t ask, int64_t jump) {
    if (tail == nullptr || fill == tail->capacity) add_chunk(arena, cols);
    const int32_t i = fill++;
    EventChunk& c = *tail;
    c.times[i] = t;
    c.types[i] = type;
    if (cols.intensity) c.intensity[i] = lambda;
    if (cols.lob) {
      c.bid[i] = static_cast<double>(bid);
      c.ask[i] = static_cast<double>(ask);
      c.jump[i] = static_cast<int32_t>(jump);
    }
    ++count;
  }

 private:
  void add_chunk(EventArena& arena, const EventColumns& cols);
};

// Advises the whole 2 MiB pages inside [p, p + bytes) onto transparent huge pages (Linux; a no-op
// elsewhere or for short ranges). Call it before the memory is first touched.
void advise_huge_pages(void* p, size_t bytes);

}  // namespace hawkgraph::hawkes
