// A limit order book as the engine reads it: borrowed pointers to price and size columns, best
// level first. Nothing is copied; the caller keeps the memory alive for the call.
#pragma once

namespace hawkgraph {

struct BookSide {
  const double* price = nullptr;
  const double* size = nullptr;
  int count = 0;  // levels available in the arrays
};

struct BookView {
  BookSide bids;  // strictly decreasing prices
  BookSide asks;  // strictly increasing prices
};

// Checks the levels the model will read (the first `max_levels` of each side): non-empty sides,
// finite positive prices and sizes, strict price order per side, best bid below best ask.
// Throws hawkgraph::Error (ERR_BOOK_*) naming the side, level and field.
void validate_book(const BookView& book, int max_levels);

}  // namespace hawkgraph
