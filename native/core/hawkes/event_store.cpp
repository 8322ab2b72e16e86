#include "event_store.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "../error.hpp"

namespace hawkgraph::hawkes {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kMaxSlab = size_t{8} << 20;
constexpr int32_t kFirstChunk = 16;
constexpr int32_t kMaxChunk = 4096;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Slabs of finished runs, kept for the next one up to kCachedBytes: fresh pages from the OS must
// be zeroed by the kernel, which costs as much as storing the events in them.
constexpr size_t kCachedBytes = size_t{64} << 20;

struct Slab {
  void* p;
  size_t size;
};

class SlabCache {
 public:
  void* take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < slabs_.size(); ++i) {
      if (slabs_[i].size != size) continue;
      void* p = slabs_[i].p;
      bytes_ -= size;
      slabs_[i] = slabs_.back();
      slabs_.pop_back();
      return p;
    }
    return nullptr;
  }

  // Keeps the slab, or frees it when the cache is full.
  void give(void* p, size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (bytes_ + size <= kCachedBytes) {
        slabs_.push_back(Slab{p, size});
        bytes_ += size;
        return;
      }
    }
    std::free(p);
  }

 private:
  std::mutex mutex_;
  std::vector<Slab> slabs_;
  size_t bytes_ = 0;
};

SlabCache& slab_cache() {
  static SlabCache* cache = new SlabCache();  // never destroyed: arenas may outlive static teardown
  return *cache;
}

}  // namespace

void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t begin = round_up(reinterpret_cast<uintptr_t>(p), kHugePage);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) / kHugePage * kHugePage;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

EventArena::~EventArena() {
  for (const auto& [p, size] : slabs_) slab_cache().give(p, size);
}

void* EventArena::allocate(size_t bytes) {
  bytes = round_up(bytes, 64);
  if (bytes > left_) {
    // Small slabs first, so a small run touches little memory; then 8 MiB ones, which a large run
    // takes back from the cache whatever its size.
    size_t size = std::max(next_slab_, bytes);
    if (size >= kHugePage) size = round_up(size, kHugePage);  // aligned_alloc: a multiple of the alignment
    next_slab_ = std::min(next_slab_ * 4, kMaxSlab);
    void* slab = slab_cache().take(size);
    if (slab == nullptr) {
      slab = std::aligned_alloc(size >= kHugePage ? kHugePage : 64, size);
      if (slab == nullptr) throw Error("ERR_OUT_OF_MEMORY", "out of host memory while storing simulated events; use statsOnly");
      if (size >= kHugePage) advise_huge_pages(slab, size);
    }
    slabs_.emplace_back(slab, size);
    cursor_ = static_cast<char*>(slab);
    left_ = size;
  }
  void* p = cursor_;
  cursor_ += bytes;
  left_ -= bytes;
  return p;
}

void PathEvents::add_chunk(EventArena& arena, const EventColumns& cols) {
  const int32_t capacity = chunks < 9 ? kFirstChunk << chunks : kMaxChunk;
  const size_t n = static_cast<size_t>(capacity);
  const size_t doubles = n * (1 + (cols.intensity ? 1 : 0) + (cols.lob ? 2 : 0));
  const size_t ints = n * (1 + (cols.lob ? 1 : 0));
  char* p = static_cast<char*>(arena.allocate(sizeof(EventChunk) + 64 + 8 * doubles + 4 * ints));
  EventChunk* c = new (p) EventChunk();
  double* d = reinterpret_cast<double*>(p + round_up(sizeof(EventChunk), 64));
  c->capacity = capacity;
  c->times = d;
  d += n;
  if (cols.intensity) {
    c->intensity = d;
    d += n;
  }
  if (cols.lob) {
    c->bid = d;
    c->ask = d + n;
    d += 2 * n;
  }
  int32_t* i = reinterpret_cast<int32_t*>(d);
  c->types = i;
  if (cols.lob) c->jump = i + n;
  if (tail != nullptr) tail->next = c;
  else head = c;
  tail = c;
  fill = 0;
  ++chunks;
}

}  // namespace hawkgraph::hawkes
