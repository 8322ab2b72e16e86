// Likelihood and calibration of exponential-kernel Hawkes processes on an observed event
// stream. Plain C++; no Node or CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hawkes_model.hpp"

namespace hawkgraph::hawkes {

struct EventStream {
  const double* times;
  const int32_t* types;
  size_t count;
  double end_time;
};

// ERR_HAWKES_EVENTS naming the first offending index: times finite, >= 0 and non-decreasing,
// types in [0, dims), end_time finite and >= the last time.
void validate_events(const EventStream& events, int dims);

// Exact log-likelihood in O(n (G + D)): one exp per decay group and event (G = 1 .. D with one
// beta per excited dimension), the compensator from the mass each component received.
// Events at the same instant do not excite each other (the intensity is left-continuous).
double log_likelihood(const HawkesModel& model, const EventStream& events);

struct FitOptions {
  int dims = 0;
  // Given decay rates [D * D] (row-major); empty: one beta per excited dimension is fitted.
  std::vector<double> beta;
};

struct FitResult {
  HawkesParams params;
  std::vector<double> std_mu;     // [D]
  std::vector<double> std_alpha;  // [D * D]; NaN where the estimate sits on the bound 0
  std::vector<double> std_beta;   // [D * D]; 0 where beta was given
  double log_likelihood = 0;
  int iterations = 0;
};

// Maximum likelihood: for fixed beta the problem splits into one concave problem per excited
// dimension (mu_k and row k of alpha), solved by Newton's method with an active set for the
// bound alpha >= 0; standard errors from the inverse observed information. With beta fitted,
// each row's beta maximises the profile likelihood (golden-section search on log beta) and its
// standard error comes from the profile's curvature. ERR_FIT_UNIDENTIFIABLE when the data
// cannot identify the model (a type that never occurs, too few events, a singular information).
FitResult fit(const EventStream& events, const FitOptions& options);

}  // namespace hawkgraph::hawkes
