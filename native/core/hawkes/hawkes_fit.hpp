// Maximum-likelihood calibration of exponential-kernel Hawkes processes on one event stream:
// the rows (one target dimension each) solved by hawkes_row_solver, beta either given or fitted
// by a multi-start search of each row's profile likelihood, and the certificate that says the
// result is a maximum. Plain C++; no Node or CUDA headers.
#pragma once

#include <string>
#include <vector>

#include "hawkes_likelihood.hpp"
#include "hawkes_model.hpp"
#include "hawkes_simulate.hpp"

namespace hawkgraph::hawkes {

struct FitOptions {
  int dims = 0;
  // Given decay rates [D * D] (row-major); empty: one beta per excited dimension is fitted.
  std::vector<double> beta;
  // Rows solved in parallel (1 .. limits::kMaxFitThreads); the result does not depend on it.
  int threads = 1;
};

// How row k's beta was found: a grid of the profile likelihood over [lower, upper], a local
// search from each of the best grid maxima (starts), what each reached, and which won.
struct BetaSearchRow {
  double lower = 0, upper = 0;
  std::vector<double> starts, reached, profile;  // beta at each start, the beta it reached, its profile LL
  int winner = 0;                                 // index into starts
  int evaluations = 0;                            // profile evaluations (row solves)
};

struct FitResult {
  HawkesParams params;
  std::vector<double> std_mu;     // [D]
  std::vector<double> std_alpha;  // [D * D]; NaN where the estimate sits on the bound 0
  std::vector<double> std_beta;   // [D * D]; 0 where beta was given
  double log_likelihood = 0;
  int iterations = 0;             // Newton iterations of the final row solves, summed over rows
  // The certificate, over all rows: converged when every row met the KKT conditions
  // (limits::kFitKktTolerance, kFitGainTolerance); otherwise `message` names the dimensions.
  bool converged = false;
  std::string message;
  double max_free_gradient = 0;    // max |d LL / d theta| over estimates off the bound
  double max_bound_violation = 0;  // max d LL / d theta > 0 (pointing inward) over estimates at 0
  double kkt_residual = 0;         // the largest standardised violation (the one compared with the tolerance)
  double expected_gain = 0;        // nats a further Newton step would gain, summed over rows
  int worst_dimension = 0;         // the row with the largest kkt_residual
  std::vector<BetaSearchRow> beta_search;  // [D] when beta was fitted, else empty
  bool cancelled = false;
};

// Refuses (ERR_INVALID_OPTION, ERR_HAWKES_EVENTS, ERR_FIT_UNIDENTIFIABLE) before any work: call
// on the JS thread before queueing an async fit.
void validate_fit(const EventStream& events, const FitOptions& options);

// Maximum likelihood; standard errors from the inverse observed information (for a fitted beta,
// from the profile's curvature). `control` (or null): cancel is polled, paths_done counts the
// rows done and events_done the Newton iterations so far (the progress of an async fit).
FitResult fit(const EventStream& events, const FitOptions& options, SimulateControl* control = nullptr);

}  // namespace hawkgraph::hawkes
