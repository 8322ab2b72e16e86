// One target dimension's maximum-likelihood problem for fixed decay rates: its sufficient
// statistics, built once from the event stream, and the bound-constrained Newton solve on them.
// Row k's log-likelihood is
//   f(theta) = sum_{i: type k} log(theta . x_i) - theta . c,   theta = (mu_k, alpha[k][0..D)) >= 0,
// x_i = (1, R_k0(i), ..., R_k,D-1(i)) with R_kl(i) = sum over events j of type l before t_i of
// exp(-beta_kl (t_i - t_j)), and c = (T - S, C_k0, ...) with C_kl = sum_j (1 - exp(-beta_kl (T - t_j))) / beta_kl.
// f is concave (and self-concordant: a sum of logs of affine functions), so a point that meets
// the KKT conditions is the maximum. Plain C++; no Node or CUDA headers.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "hawkes_likelihood.hpp"

namespace hawkgraph::hawkes {

// Events are stored in panels of kRowPanel: panel p holds, for each coordinate a, the values
// x_{i,a} of its kRowPanel events contiguously (a small column-major block), so the gradient and
// information sums are dot products over a panel that stays in L1 and vectorises.
constexpr int kRowPanel = 64;

struct RowStatistics {
  int width = 0;             // D + 1: mu_k, then alpha[k][0..D)
  size_t events = 0;         // n_k, the events of type k
  std::vector<double> x;     // ceil(n_k / kRowPanel) panels of width * kRowPanel values
  std::vector<double> c;     // [width] the compensator per unit of each coordinate
  std::vector<double> column_max;  // [width] the largest x of each coordinate over the events
};

// Row k's statistics for decay rates beta_row[l] = beta[k][l], in one pass over the stream:
// O(n + n_k D) exponentials (each event's kernel value is folded into R at the next type-k event).
RowStatistics row_statistics(const EventStream& events, int dims, int k, const double* beta_row);

// The statistics of `rows`, every decay rate of which is `beta` (a scalar beta: all rows), in one
// pass over the stream: one exponential per instant and O(n D) multiplications for them all,
// where each row alone costs O(n) exponentials. [rows.size()], in the order of `rows`.
std::vector<RowStatistics> shared_rate_statistics(const EventStream& events, int dims, const std::vector<int>& rows,
                                                  double beta);

// Thrown (with no message for users) when a cancel flag is seen; the fit turns it into a
// cancelled result.
struct FitCancelled {};

struct RowSolution {
  std::vector<double> theta;     // [width] the estimate
  std::vector<double> gradient;  // [width] of f at theta
  std::vector<double> std_err;   // [width] from the inverse observed information; NaN at the bound
  double objective = 0;          // f(theta)
  int iterations = 0;            // Newton iterations
  bool converged = false;
  std::string failure;           // why not, when not converged
  double max_free_gradient = 0;  // max |g_j| over theta_j > 0
  double max_bound_violation = 0;  // max g_j (> 0) over theta_j == 0
  double kkt_residual = 0;       // max standardised violation, compared with limits::kFitKktTolerance
  double expected_gain = 0;      // nats a further Newton step would gain (half the squared decrement)
};

// The maximum of row k's problem. `start` (width values, or null) is a warm start (e.g. the row's
// solution at a nearby beta); `want_std_err` adds standard errors (ERR_FIT_UNIDENTIFIABLE naming
// dimension k when the information is singular on the free coordinates). `cancel` (or null) is
// polled every iteration. Never stops early without saying so: converged false and `failure`.
RowSolution solve_row(const RowStatistics& stats, int k, const double* start, bool want_std_err,
                      const std::atomic<bool>* cancel);

}  // namespace hawkgraph::hawkes
