// A multivariate exponential-kernel Hawkes process: validated parameters, its branching matrix,
// spectral radius and stationary intensity, and the flat tables the simulators read
// (hawkes_step.hpp). Plain C++; no Node or CUDA headers.
#pragma once

#include <cstdint>
#include <vector>

#include "../limits.hpp"
#include "hawkes_step.hpp"

namespace hawkgraph::hawkes {

constexpr int kMaxDims = limits::kMaxHawkesDims;

struct HawkesParams {
  int dims = 0;
  std::vector<double> mu;     // [D]
  std::vector<double> alpha;  // [D * D] row-major; alpha[k * D + l]: type l excites type k
  std::vector<double> beta;   // [D * D] row-major
};

// Throws hawkgraph::Error ERR_HAWKES_PARAMETER naming the field and value for a bad shape or
// value, and ERR_HAWKES_UNSTABLE (with the radius) when the spectral radius of alpha / beta is
// >= 1 and explosive processes were not allowed.
void validate_params(const HawkesParams& p, bool allow_explosive);

// Spectral radius of the (nonnegative) branching matrix alpha / beta.
double spectral_radius(const HawkesParams& p);

// (I - alpha / beta)^-1 mu; requires a spectral radius below 1.
std::vector<double> stationary_intensity(const HawkesParams& p);

// True when every row of beta is constant: one decay rate per excited dimension (the fast path).
bool beta_per_row(const HawkesParams& p);

// Owns the arrays a HawkesTables view points into.
class HawkesModel {
 public:
  explicit HawkesModel(const HawkesParams& p);
  HawkesModel(const HawkesModel&) = delete;
  HawkesModel& operator=(const HawkesModel&) = delete;

  const HawkesTables& tables() const { return tables_; }
  const HawkesParams& params() const { return params_; }
  int dims() const { return params_.dims; }
  int comps() const { return tables_.comps; }
  int groups() const { return tables_.groups; }

  // The flat arrays, for copying to a device in one piece (see hawkes_cuda.hpp).
  std::vector<double> mu, mu_cdf, comp_beta, group_beta, exc_alpha, exc_dense, mass_g, mass_q, mass_inv_q;
  std::vector<int> comp_group, comp_dim, dim_comp_begin, group_comp_begin, group_comps, exc_begin, exc_comp,
      mass_begin, mass_group;

 private:
  HawkesParams params_;
  HawkesTables tables_{};
};

}  // namespace hawkgraph::hawkes
