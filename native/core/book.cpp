// Book validation: the gate every book passes before features are built from it.
#include "book.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "error.hpp"

namespace hawkgraph {
namespace {

std::string level_name(const char* side, int i, const char* field) {
  return std::string(side) + "[" + std::to_string(i) + "]." + field;
}

// True when every level passes: two lanes at a time, branch-free (GCC/Clang vector extensions,
// plain SSE2 on x86-64). `p > 0 && p < inf` is false for NaN, so it also checks finiteness.
// Only a failing side takes the reporting loop below.
bool side_is_valid(const BookSide& s, int n, bool decreasing) {
  typedef double f64x2 __attribute__((vector_size(16)));
  typedef long long i64x2 __attribute__((vector_size(16)));
  constexpr double inf = std::numeric_limits<double>::infinity();
  const double sign = decreasing ? 1.0 : -1.0;  // bids fall, asks rise: sign * (p[i-1] - p[i]) > 0
  const f64x2 zero = {0.0, 0.0}, top = {inf, inf}, dir = {sign, sign};
  i64x2 good = {-1, -1};
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    f64x2 p, q;
    std::memcpy(&p, s.price + i, sizeof p);
    std::memcpy(&q, s.size + i, sizeof q);
    good &= (p > zero) & (p < top) & (q > zero) & (q < top);
  }
  bool ok = good[0] != 0 && good[1] != 0;
  for (; i < n; ++i) ok &= (s.price[i] > 0) & (s.price[i] < inf) & (s.size[i] > 0) & (s.size[i] < inf);
  good = i64x2{-1, -1};
  for (i = 1; i + 2 <= n; i += 2) {
    f64x2 before, p;
    std::memcpy(&before, s.price + i - 1, sizeof before);
    std::memcpy(&p, s.price + i, sizeof p);
    good &= dir * (before - p) > zero;
  }
  ok &= good[0] != 0 && good[1] != 0;
  for (; i < n; ++i) ok &= sign * (s.price[i - 1] - s.price[i]) > 0;
  return ok;
}

// One level per order (ccxt's IndexedOrderBook) repeats prices; the fix is the caller's to ask for.
constexpr const char* equal_price_hint = ": one level per order? normalizeBook() merges levels of equal price";

void validate_side(const BookSide& s, const char* name, int max_levels, bool decreasing) {
  if (s.count <= 0 || s.price == nullptr || s.size == nullptr) {
    throw Error("ERR_BOOK_EMPTY", std::string("book.") + name + " is empty: a book needs at least one level per side");
  }
  const int n = std::min(s.count, max_levels);
  if (side_is_valid(s, n, decreasing)) return;
  for (int i = 0; i < n; ++i) {
    const double p = s.price[i], q = s.size[i];
    if (!std::isfinite(p)) {
      throw Error("ERR_BOOK_NONFINITE", "book." + level_name(name, i, "price") + " must be finite, got " + format_number(p));
    }
    if (!std::isfinite(q)) {
      throw Error("ERR_BOOK_NONFINITE", "book." + level_name(name, i, "size") + " must be finite, got " + format_number(q));
    }
    if (p <= 0) {
      throw Error("ERR_BOOK_NONPOSITIVE", "book." + level_name(name, i, "price") + " must be > 0, got " + format_number(p));
    }
    if (q <= 0) {
      throw Error("ERR_BOOK_NONPOSITIVE", "book." + level_name(name, i, "size") + " must be > 0, got " + format_number(q));
    }
    if (i > 0 && (decreasing ? !(p < s.price[i - 1]) : !(p > s.price[i - 1]))) {
      throw Error("ERR_BOOK_ORDER", "book." + level_name(name, i, "price") + " (" + format_number(p) +
                                        ") must be strictly " + (decreasing ? "below" : "above") + " " +
                                        level_name(name, i - 1, "price") + " (" + format_number(s.price[i - 1]) + ")" +
                                        (p == s.price[i - 1] ? equal_price_hint : ""));
    }
  }
}

}  // namespace

void validate_book(const BookView& book, int max_levels) {
  validate_side(book.bids, "bids", max_levels, true);
  validate_side(book.asks, "asks", max_levels, false);
  const double bid = book.bids.price[0], ask = book.asks.price[0];
  if (!(bid < ask)) {
    throw Error("ERR_BOOK_CROSSED", "book is " + std::string(bid == ask ? "locked" : "crossed") +
                                        ": best bid " + format_number(bid) + " must be below best ask " +
                                        format_number(ask));
  }
}

}  // namespace hawkgraph
