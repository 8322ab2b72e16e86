// Time-rescaling residuals of an exponential-kernel Hawkes process on an observed event stream:
// the compensator increments between consecutive events of each type, i.i.d. Exp(1) when the
// model is the one that generated the stream (the time-rescaling theorem; for a multivariate
// process each type's rescaled stream is a unit Poisson process and the types are independent).
// lib/hawkes/gof.ts turns them into Kolmogorov-Smirnov tests and QQ points. Plain C++; no Node or
// CUDA headers.
#pragma once

#include <vector>

#include "hawkes_likelihood.hpp"
#include "hawkes_model.hpp"

namespace hawkgraph::hawkes {

struct Residuals {
  // [n] event i's residual: Lambda_k(t_i) - Lambda_k(t_prev), k = types[i] and t_prev the previous
  // type-k event (the window start for the first one). Simultaneous events of one type: the
  // later ones get 0 (the compensator is continuous).
  std::vector<double> residuals;
  // [D] the censored remainder Lambda_k(end) - Lambda_k(last type-k event, or the start): not a
  // residual, but with the residuals of type k it sums to Lambda_k over the whole window.
  std::vector<double> tail;
};

// The residuals on the window [start_time, end_time], from an empty history at start_time, with
// the likelihood's recursions: one exp and one expm1 per decay group and event, O(n (G + C + D))
// for C components (D with one beta per excited dimension, D * D with a full matrix).
// ERR_HAWKES_EVENTS as validate_events, and when start_time is not finite, not below end_time or
// after the first event.
Residuals time_rescaling_residuals(const HawkesModel& model, const EventStream& events, double start_time);

}  // namespace hawkgraph::hawkes
