#include "hawkes_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../error.hpp"

namespace hawkgraph::hawkes {
namespace {

[[noreturn]] void bad(const std::string& message) { throw Error("ERR_HAWKES_PARAMETER", message); }

std::string at2(const char* name, int k, int l) {
  return std::string(name) + "[" + std::to_string(k) + "][" + std::to_string(l) + "]";
}

}  // namespace

void validate_params(const HawkesParams& p, bool allow_explosive) {
  const int D = p.dims;
  if (D < 1 || D > kMaxDims) {
    bad("mu must have 1 to " + std::to_string(kMaxDims) + " entries (one per dimension), got " + std::to_string(D));
  }
  const size_t DD = static_cast<size_t>(D) * D;
  if (p.mu.size() != static_cast<size_t>(D)) bad("mu must have " + std::to_string(D) + " entries");
  if (p.alpha.size() != DD) bad("alpha must be a " + std::to_string(D) + " x " + std::to_string(D) + " matrix");
  if (p.beta.size() != DD) bad("beta must be a " + std::to_string(D) + " x " + std::to_string(D) + " matrix");
  for (int k = 0; k < D; ++k) {
    if (!std::isfinite(p.mu[k]) || p.mu[k] < 0) {
      bad("mu[" + std::to_string(k) + "] must be a finite number >= 0, got " + format_number(p.mu[k]));
    }
  }
  for (int k = 0; k < D; ++k) {
    for (int l = 0; l < D; ++l) {
      const double a = p.alpha[k * D + l], b = p.beta[k * D + l];
      if (!std::isfinite(a) || a < 0) bad(at2("alpha", k, l) + " must be a finite number >= 0, got " + format_number(a));
      if (!std::isfinite(b) || b <= 0) bad(at2("beta", k, l) + " must be a finite number > 0, got " + format_number(b));
      // The mean number of children; past the float64 range nothing downstream is meaningful
      // (the spectral radius would come out as NaN, or 0).
      if (!std::isfinite(a / b)) {
        bad(at2("alpha", k, l) + " / " + at2("beta", k, l) + " must be finite (the mean number of children of an event), got " +
            format_number(a) + " / " + format_number(b));
      }
    }
  }
  double total_mu = 0;
  for (double m : p.mu) total_mu += m;
  if (!(total_mu > 0)) bad("mu must have at least one positive entry (with mu = 0 no event ever occurs)");
  const double rho = spectral_radius(p);
  if (!(rho < 1.0) && !allow_explosive) {
    throw Error("ERR_HAWKES_UNSTABLE",
                "the spectral radius of alpha / beta is " + format_number(rho) +
                    ", not below 1: the process is explosive (pass allowExplosive: true with maxEvents to simulate it anyway)");
  }
}

// Gelfand's formula rho = lim ||A^n||^(1/n) by repeated squaring with renormalisation: robust for
// nonnegative matrices whatever their Jordan structure or periodicity (power iteration is not).
double spectral_radius(const HawkesParams& p) {
  const int D = p.dims;
  std::vector<double> a(static_cast<size_t>(D) * D), sq(a.size());
  for (size_t i = 0; i < a.size(); ++i) a[i] = p.alpha[i] / p.beta[i];
  auto norm = [&](const std::vector<double>& m) {
    double best = 0;  // max row sum: a norm, so the limit is the same
    for (int k = 0; k < D; ++k) {
      double s = 0;
      for (int l = 0; l < D; ++l) s += std::fabs(m[k * D + l]);
      best = std::max(best, s);
    }
    return best;
  };
  double n0 = norm(a);
  if (n0 == 0) return 0;
  if (!std::isfinite(n0)) return std::numeric_limits<double>::infinity();  // alpha / beta overflowed
  double log_scale = std::log(n0);  // log ||A^(2^i)|| up to the normalised factor
  for (double& v : a) v /= n0;
  double estimate = n0;
  for (int i = 1; i <= 48; ++i) {
    for (int k = 0; k < D; ++k) {
      for (int l = 0; l < D; ++l) {
        double s = 0;
        for (int j = 0; j < D; ++j) s += a[k * D + j] * a[j * D + l];
        sq[k * D + l] = s;
      }
    }
    const double n = norm(sq);
    if (n == 0) return 0;  // nilpotent
    log_scale = 2 * log_scale + std::log(n);
    for (size_t j = 0; j < sq.size(); ++j) a[j] = sq[j] / n;
    const double next = std::exp(log_scale / std::ldexp(1.0, i));
    if (i > 8 && std::fabs(next - estimate) <= 1e-15 * next) return next;
    estimate = next;
  }
  return estimate;
}

std::vector<double> stationary_intensity(const HawkesParams& p) {
  const int D = p.dims;
  const double rho = spectral_radius(p);
  if (!(rho < 1.0)) {
    throw Error("ERR_HAWKES_UNSTABLE", "no stationary intensity: the spectral radius of alpha / beta is " + format_number(rho));
  }
  // Gaussian elimination with partial pivoting on [I - G | mu].
  std::vector<double> m(static_cast<size_t>(D) * (D + 1));
  for (int k = 0; k < D; ++k) {
    for (int l = 0; l < D; ++l) m[k * (D + 1) + l] = (k == l ? 1.0 : 0.0) - p.alpha[k * D + l] / p.beta[k * D + l];
    m[k * (D + 1) + D] = p.mu[k];
  }
  for (int col = 0; col < D; ++col) {
    int piv = col;
    for (int r = col + 1; r < D; ++r) {
      if (std::fabs(m[r * (D + 1) + col]) > std::fabs(m[piv * (D + 1) + col])) piv = r;
    }
    if (piv != col) {
      for (int j = 0; j <= D; ++j) std::swap(m[col * (D + 1) + j], m[piv * (D + 1) + j]);
    }
    const double d = m[col * (D + 1) + col];
    for (int r = 0; r < D; ++r) {
      if (r == col) continue;
      const double f = m[r * (D + 1) + col] / d;
      if (f == 0) continue;
      for (int j = col; j <= D; ++j) m[r * (D + 1) + j] -= f * m[col * (D + 1) + j];
    }
  }
  std::vector<double> out(D);
  for (int k = 0; k < D; ++k) out[k] = m[k * (D + 1) + D] / m[k * (D + 1) + k];
  return out;
}

bool beta_per_row(const HawkesParams& p) {
  const int D = p.dims;
  for (int k = 0; k < D; ++k) {
    for (int l = 1; l < D; ++l) {
      if (p.beta[k * D + l] != p.beta[k * D]) return false;
    }
  }
  return true;
}

HawkesModel::HawkesModel(const HawkesParams& p) : params_(p) {
  const int D = p.dims;
  const bool per_row = beta_per_row(p);
  const int C = per_row ? D : D * D;
  mu = p.mu;
  double total = 0;
  for (double m : p.mu) total += m;
  mu_cdf.resize(D);
  double acc = 0;
  for (int k = 0; k < D; ++k) {
    acc += p.mu[k];
    mu_cdf[k] = acc / total;
  }
  mu_cdf[D - 1] = 1.0;

  comp_beta.resize(C);
  comp_dim.resize(C);
  dim_comp_begin.resize(D + 1);
  for (int k = 0; k < D; ++k) {
    if (per_row) {
      comp_beta[k] = p.beta[k * D];
      comp_dim[k] = k;
      dim_comp_begin[k] = k;
    } else {
      for (int l = 0; l < D; ++l) {
        comp_beta[k * D + l] = p.beta[k * D + l];
        comp_dim[k * D + l] = k;
      }
      dim_comp_begin[k] = k * D;
    }
  }
  dim_comp_begin[D] = C;
  // One exp() per distinct decay rate per event.
  comp_group.resize(C);
  for (int c = 0; c < C; ++c) {
    auto it = std::find(group_beta.begin(), group_beta.end(), comp_beta[c]);
    comp_group[c] = static_cast<int>(it - group_beta.begin());
    if (it == group_beta.end()) group_beta.push_back(comp_beta[c]);
  }
  const int G = static_cast<int>(group_beta.size());
  group_comp_begin.assign(G + 1, 0);
  for (int g = 0; g < G; ++g) {
    group_comp_begin[g] = static_cast<int>(group_comps.size());
    for (int c = 0; c < C; ++c) {
      if (comp_group[c] == g) group_comps.push_back(c);
    }
  }
  group_comp_begin[G] = C;
  exc_begin.resize(D + 1);
  mass_begin.resize(D + 1);
  std::vector<double> group_mass(G);
  for (int l = 0; l < D; ++l) {
    exc_begin[l] = static_cast<int>(exc_comp.size());
    std::fill(group_mass.begin(), group_mass.end(), 0.0);
    for (int k = 0; k < D; ++k) {
      const double a = p.alpha[k * D + l];
      if (a == 0) continue;
      const int c = per_row ? k : k * D + l;
      exc_comp.push_back(c);
      exc_alpha.push_back(a);
      group_mass[comp_group[c]] += a / comp_beta[c];
    }
    mass_begin[l] = static_cast<int>(mass_group.size());
    for (int g = 0; g < G; ++g) {
      if (group_mass[g] == 0) continue;
      mass_group.push_back(g);
      mass_g.push_back(group_mass[g]);
      mass_q.push_back(std::exp(-group_mass[g]));
      mass_inv_q.push_back(std::exp(group_mass[g]));
    }
  }
  exc_begin[D] = static_cast<int>(exc_comp.size());
  if (C <= kDenseComps) {
    exc_dense.assign(static_cast<size_t>(D) * C, 0.0);
    for (int l = 0; l < D; ++l) {
      for (int e = exc_begin[l]; e < exc_begin[l + 1]; ++e) exc_dense[static_cast<size_t>(l) * C + exc_comp[e]] += exc_alpha[e];
    }
  }
  mass_begin[D] = static_cast<int>(mass_group.size());

  tables_.dims = D;
  tables_.comps = C;
  tables_.groups = static_cast<int>(group_beta.size());
  tables_.mu_total = total;
  tables_.mu = mu.data();
  tables_.mu_cdf = mu_cdf.data();
  tables_.comp_group = comp_group.data();
  tables_.comp_dim = comp_dim.data();
  tables_.dim_comp_begin = dim_comp_begin.data();
  tables_.group_comp_begin = group_comp_begin.data();
  tables_.group_comps = group_comps.data();
  tables_.group_beta = group_beta.data();
  tables_.exc_begin = exc_begin.data();
  tables_.exc_comp = exc_comp.data();
  tables_.exc_alpha = exc_alpha.data();
  tables_.exc_dense = exc_dense.empty() ? nullptr : exc_dense.data();
  tables_.mass_begin = mass_begin.data();
  tables_.mass_group = mass_group.data();
  tables_.mass_g = mass_g.data();
  tables_.mass_q = mass_q.data();
  tables_.mass_inv_q = mass_inv_q.data();
}

}  // namespace hawkgraph::hawkes
