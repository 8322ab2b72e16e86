// The log-likelihood of exponential-kernel Hawkes processes on an observed event stream, and the
// checks every consumer of a stream applies (ordering, types, the observation window). The fit
// is in hawkes_fit.hpp. Plain C++; no Node or CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hawkes_model.hpp"

namespace hawkgraph::hawkes {

// Events observed on the window [start_time, end_time], in any time unit (seconds by convention)
// as long as the parameters use the same one: mu and alpha are events per unit, beta per unit.
// The process has no history before start_time.
struct EventStream {
  const double* times;
  const int32_t* types;
  size_t count;
  double end_time;
  double start_time = 0;
};

// ERR_HAWKES_EVENTS naming the first offending index: start_time finite, end_time finite and
// > start_time, times finite, >= start_time and non-decreasing, types in [0, dims), end_time >=
// the last time; and the window rule (limits::kMaxWindowGapRatio): with two or more events at
// distinct times, neither the stretch before the first event nor the one after the last may be
// longer than kMaxWindowGapRatio mean gaps (t_last - t_first) / (n - 1).
void validate_events(const EventStream& events, int dims);

// Exact log-likelihood in O(n (G + D)): one exp per decay group and event (G = 1 .. D with one
// beta per excited dimension), the compensator from the mass each component received.
// Events at the same instant do not excite each other (the intensity is left-continuous).
double log_likelihood(const HawkesModel& model, const EventStream& events);

}  // namespace hawkgraph::hawkes
