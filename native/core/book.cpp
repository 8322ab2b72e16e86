// Book validation: the gate every book passes before features are built from it.
#include "book.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.hpp"

namespace hawkgraph {
namespace {

std::string level_name(const char* side, int i, const char* field) {
  return std::string(side) + "[" + std::to_string(i) + "]." + field;
}

void validate_side(const BookSide& s, const char* name, int max_levels, bool decreasing) {
  if (s.count <= 0 || s.price == nullptr || s.size == nullptr) {
    throw Error("ERR_BOOK_EMPTY", std::string("book.") + name + " is empty: a book needs at least one level per side");
  }
  const int n = std::min(s.count, max_levels);
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
                                        level_name(name, i - 1, "price") + " (" + format_number(s.price[i - 1]) + ")");
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
