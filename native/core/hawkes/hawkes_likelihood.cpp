#include "hawkes_likelihood.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../error.hpp"

namespace hawkgraph::hawkes {
namespace {

[[noreturn]] void bad_events(const std::string& message) { throw Error("ERR_HAWKES_EVENTS", message); }
[[noreturn]] void unidentifiable(const std::string& message) { throw Error("ERR_FIT_UNIDENTIFIABLE", message); }

// Row k's problem for fixed betas: maximise sum_i log(theta . x_i) - theta . c over theta >= 0,
// with theta = (mu_k, alpha[k][0..D)) and x_i = (1, R_k0(i), ...) for the events i of type k,
// R_kl(i) = sum over earlier events j of type l of exp(-beta_kl (t_i - t_j)).
struct RowProblem {
  int width = 0;               // D + 1
  std::vector<double> x;       // [n_k * width]
  std::vector<double> c;       // [width]
  size_t rows() const { return width ? x.size() / width : 0; }
};

// Builds row k's features for decay rates beta_row[l] = beta[k][l].
RowProblem row_problem(const EventStream& ev, int D, int k, const double* beta_row) {
  RowProblem rp;
  rp.width = D + 1;
  std::vector<double> z(D, 0.0);  // sum over events of type l of exp(-beta_kl (t - t_j))
  double t_prev = 0;
  size_t i = 0;
  while (i < ev.count) {
    const double t = ev.times[i];
    const double dt = t - t_prev;
    for (int l = 0; l < D; ++l) z[l] *= std::exp(-beta_row[l] * dt);
    t_prev = t;
    size_t j = i;
    while (j < ev.count && ev.times[j] == t) ++j;  // simultaneous events do not excite each other
    for (size_t q = i; q < j; ++q) {
      if (ev.types[q] != k) continue;
      rp.x.push_back(1.0);
      for (int l = 0; l < D; ++l) rp.x.push_back(z[l]);
    }
    for (size_t q = i; q < j; ++q) z[ev.types[q]] += 1.0;
    i = j;
  }
  rp.c.assign(rp.width, 0.0);
  rp.c[0] = ev.end_time;
  for (size_t q = 0; q < ev.count; ++q) {
    const int l = ev.types[q];
    rp.c[1 + l] += -std::expm1(-beta_row[l] * (ev.end_time - ev.times[q])) / beta_row[l];
  }
  return rp;
}

double row_objective(const RowProblem& rp, const std::vector<double>& theta) {
  const int W = rp.width;
  double f = 0;
  for (int j = 0; j < W; ++j) f -= theta[j] * rp.c[j];
  const size_t n = rp.rows();
  for (size_t i = 0; i < n; ++i) {
    const double* x = &rp.x[i * W];
    double lam = 0;
    for (int j = 0; j < W; ++j) lam += theta[j] * x[j];
    if (!(lam > 0)) return -std::numeric_limits<double>::infinity();
    f += std::log(lam);
  }
  return f;
}

// Cholesky solve of a (symmetric positive definite) system restricted to `free` coordinates;
// false when it is not positive definite. On success `inv` (if given) holds the inverse.
bool spd_solve(std::vector<double> a, int n, std::vector<double>& b, std::vector<double>* inv) {
  for (int j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int q = 0; q < j; ++q) d -= a[j * n + q] * a[j * n + q];
    if (!(d > 1e-300)) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (int i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int q = 0; q < j; ++q) s -= a[i * n + q] * a[j * n + q];
      a[i * n + j] = s / d;
    }
  }
  auto solve = [&](std::vector<double>& v) {
    for (int i = 0; i < n; ++i) {
      double s = v[i];
      for (int q = 0; q < i; ++q) s -= a[i * n + q] * v[q];
      v[i] = s / a[i * n + i];
    }
    for (int i = n - 1; i >= 0; --i) {
      double s = v[i];
      for (int q = i + 1; q < n; ++q) s -= a[q * n + i] * v[q];
      v[i] = s / a[i * n + i];
    }
  };
  solve(b);
  if (inv) {
    inv->assign(static_cast<size_t>(n) * n, 0.0);
    std::vector<double> e(n);
    for (int j = 0; j < n; ++j) {
      std::fill(e.begin(), e.end(), 0.0);
      e[j] = 1.0;
      solve(e);
      for (int i = 0; i < n; ++i) (*inv)[i * n + j] = e[i];
    }
  }
  return true;
}

struct RowFit {
  std::vector<double> theta, se;
  double objective = 0;
  int iterations = 0;
};

RowFit solve_row(const RowProblem& rp, int k, double rate_k, bool want_se) {
  const int W = rp.width, D = W - 1;
  const size_t n = rp.rows();
  RowFit out;
  std::vector<double> theta(W);
  theta[0] = 0.5 * rate_k;
  for (int l = 0; l < D; ++l) theta[1 + l] = rp.c[1 + l] > 0 ? 0.25 * static_cast<double>(n) / (D * rp.c[1 + l]) : 0.0;
  std::vector<bool> active(W, false);  // held at the bound 0
  for (int l = 0; l < D; ++l) active[1 + l] = rp.c[1 + l] <= 0;
  double f = row_objective(rp, theta);
  std::vector<double> grad(W), hess(static_cast<size_t>(W) * W);
  std::vector<int> free_idx;
  for (int it = 0; it < 200; ++it) {
    out.iterations = it + 1;
    std::fill(grad.begin(), grad.end(), 0.0);
    std::fill(hess.begin(), hess.end(), 0.0);
    for (int j = 0; j < W; ++j) grad[j] = -rp.c[j];
    for (size_t i = 0; i < n; ++i) {
      const double* x = &rp.x[i * W];
      double lam = 0;
      for (int j = 0; j < W; ++j) lam += theta[j] * x[j];
      const double inv = 1.0 / lam, inv2 = inv * inv;
      for (int a = 0; a < W; ++a) {
        if (x[a] == 0) continue;
        grad[a] += x[a] * inv;
        const double xa = x[a] * inv2;
        for (int b = 0; b <= a; ++b) hess[a * W + b] += xa * x[b];
      }
    }
    // Release bound coordinates whose gradient points into the interior.
    for (int j = 0; j < W; ++j) {
      if (active[j] && theta[j] == 0 && grad[j] > 0 && rp.c[j] > 0) active[j] = false;
    }
    free_idx.clear();
    for (int j = 0; j < W; ++j) {
      if (!active[j]) free_idx.push_back(j);
    }
    const int F = static_cast<int>(free_idx.size());
    std::vector<double> a(static_cast<size_t>(F) * F), step(F);
    for (int p = 0; p < F; ++p) {
      step[p] = grad[free_idx[p]];
      for (int q = 0; q < F; ++q) {
        const int i = std::max(free_idx[p], free_idx[q]), j = std::min(free_idx[p], free_idx[q]);
        a[p * F + q] = hess[i * W + j];  // -(Hessian): positive definite when identifiable
      }
    }
    if (!spd_solve(a, F, step, nullptr)) {
      unidentifiable("the observed information of dimension " + std::to_string(k) +
                     " is singular: the data cannot identify mu[" + std::to_string(k) + "] and alpha[" +
                     std::to_string(k) + "][*] (too few events, or excitations that never overlap)");
    }
    // Longest step that keeps theta >= 0; a coordinate that reaches 0 joins the active set.
    double t_max = 1.0;
    int blocking = -1;
    for (int p = 0; p < F; ++p) {
      const int j = free_idx[p];
      if (step[p] < 0 && theta[j] + step[p] < 0) {
        const double t = theta[j] / -step[p];
        if (t < t_max) {
          t_max = t;
          blocking = j;
        }
      }
    }
    double t = t_max, f_new = -std::numeric_limits<double>::infinity();
    std::vector<double> trial(theta);
    for (int half = 0; half < 60; ++half) {
      for (int p = 0; p < F; ++p) trial[free_idx[p]] = std::max(0.0, theta[free_idx[p]] + t * step[p]);
      if (t == t_max && blocking >= 0) trial[blocking] = 0.0;
      f_new = row_objective(rp, trial);
      if (f_new >= f - 1e-12 * std::fabs(f)) break;
      t *= 0.5;
    }
    if (!(f_new >= f - 1e-12 * std::fabs(f))) break;
    if (t == t_max && blocking >= 0) active[blocking] = true;
    double decrement = 0;
    for (int p = 0; p < F; ++p) decrement += grad[free_idx[p]] * step[p];
    theta = trial;
    const double gain = f_new - f;
    f = f_new;
    if (decrement < 1e-10 && gain < 1e-10 && blocking < 0) break;
  }
  out.theta = theta;
  out.objective = f;
  if (want_se) {
    // Standard errors: the inverse observed information on the free coordinates.
    std::fill(hess.begin(), hess.end(), 0.0);
    for (size_t i = 0; i < n; ++i) {
      const double* x = &rp.x[i * W];
      double lam = 0;
      for (int j = 0; j < W; ++j) lam += theta[j] * x[j];
      const double inv2 = 1.0 / (lam * lam);
      for (int a2 = 0; a2 < W; ++a2) {
        for (int b = 0; b <= a2; ++b) hess[a2 * W + b] += x[a2] * x[b] * inv2;
      }
    }
    free_idx.clear();
    for (int j = 0; j < W; ++j) {
      if (theta[j] != 0) free_idx.push_back(j);
    }
    const int F = static_cast<int>(free_idx.size());
    std::vector<double> a(static_cast<size_t>(F) * F), dummy(F, 0.0), inv;
    for (int p = 0; p < F; ++p) {
      for (int q = 0; q < F; ++q) {
        const int i = std::max(free_idx[p], free_idx[q]), j = std::min(free_idx[p], free_idx[q]);
        a[p * F + q] = hess[i * W + j];
      }
    }
    out.se.assign(W, std::numeric_limits<double>::quiet_NaN());
    if (!spd_solve(a, F, dummy, &inv)) {
      unidentifiable("the observed information of dimension " + std::to_string(k) + " is singular at the estimate");
    }
    for (int p = 0; p < F; ++p) out.se[free_idx[p]] = std::sqrt(inv[p * F + p]);
  }
  return out;
}

}  // namespace

void validate_events(const EventStream& ev, int dims) {
  if (!std::isfinite(ev.end_time) || ev.end_time <= 0) {
    bad_events("endTime must be a finite number > 0, got " + format_number(ev.end_time));
  }
  double prev = 0;
  for (size_t i = 0; i < ev.count; ++i) {
    const double t = ev.times[i];
    if (!std::isfinite(t) || t < 0) bad_events("times[" + std::to_string(i) + "] must be a finite number >= 0, got " + format_number(t));
    if (t < prev) {
      bad_events("times must be non-decreasing: times[" + std::to_string(i) + "] = " + format_number(t) +
                 " comes after " + format_number(prev));
    }
    prev = t;
    const int k = ev.types[i];
    if (k < 0 || k >= dims) {
      bad_events("types[" + std::to_string(i) + "] must be an integer in [0, " + std::to_string(dims - 1) + "], got " + std::to_string(k));
    }
  }
  if (ev.count > 0 && ev.times[ev.count - 1] > ev.end_time) {
    bad_events("endTime " + format_number(ev.end_time) + " is before the last event time " + format_number(ev.times[ev.count - 1]));
  }
}

double log_likelihood(const HawkesModel& model, const EventStream& ev) {
  const HawkesTables& m = model.tables();
  validate_events(ev, m.dims);
  std::vector<double> y(m.comps, 0.0), decay(m.groups), added(m.comps, 0.0), nothing(m.groups);
  PathState s{0.0, 0.0, y.data(), nothing.data(), decay.data()};
  double ll = 0;
  size_t i = 0;
  while (i < ev.count) {
    const double t = ev.times[i];
    decay_to(m, s, t);
    size_t j = i;
    while (j < ev.count && ev.times[j] == t) ++j;
    for (size_t q = i; q < j; ++q) {
      const double lam = dim_intensity(m, s, ev.types[q]);
      if (!(lam > 0)) return -std::numeric_limits<double>::infinity();
      ll += std::log(lam);
    }
    for (size_t q = i; q < j; ++q) {
      const int l = ev.types[q];
      for (int e = m.exc_begin[l]; e < m.exc_begin[l + 1]; ++e) {
        y[m.exc_comp[e]] += m.exc_alpha[e];
        added[m.exc_comp[e]] += m.exc_alpha[e];
      }
    }
    i = j;
  }
  decay_to(m, s, ev.end_time);
  // Integral of a component over [0, T]: (mass added - what is left at T) / beta.
  double compensator = m.mu_total * ev.end_time;
  for (int c = 0; c < m.comps; ++c) compensator += (added[c] - y[c]) / model.comp_beta[c];
  return ll - compensator;
}

FitResult fit(const EventStream& ev, const FitOptions& opt) {
  const int D = opt.dims;
  if (D < 1 || D > kMaxDims) throw Error("ERR_INVALID_OPTION", "dims must be an integer in [1, " + std::to_string(kMaxDims) + "], got " + std::to_string(D));
  validate_events(ev, D);
  const bool fit_beta = opt.beta.empty();
  if (!fit_beta) {
    if (opt.beta.size() != static_cast<size_t>(D) * D) throw Error("ERR_INVALID_OPTION", "beta must be a " + std::to_string(D) + " x " + std::to_string(D) + " matrix");
    for (size_t q = 0; q < opt.beta.size(); ++q) {
      if (!std::isfinite(opt.beta[q]) || opt.beta[q] <= 0) {
        throw Error("ERR_INVALID_OPTION", "beta[" + std::to_string(q / D) + "][" + std::to_string(q % D) +
                                              "] must be a finite number > 0, got " + format_number(opt.beta[q]));
      }
    }
  }
  std::vector<size_t> count(D, 0);
  for (size_t q = 0; q < ev.count; ++q) ++count[ev.types[q]];
  for (int k = 0; k < D; ++k) {
    if (count[k] == 0) {
      unidentifiable("no events of type " + std::to_string(k) + ": mu[" + std::to_string(k) + "] and alpha[*][" +
                     std::to_string(k) + "] cannot be identified");
    }
  }
  for (int k = 0; k < D; ++k) {
    if (count[k] < static_cast<size_t>(D + 2)) {
      unidentifiable("only " + std::to_string(count[k]) + " events of type " + std::to_string(k) + " for " +
                     std::to_string(D + 1 + (fit_beta ? 1 : 0)) + " parameters of that dimension");
    }
  }
  FitResult res;
  res.params.dims = D;
  res.params.mu.assign(D, 0.0);
  res.params.alpha.assign(static_cast<size_t>(D) * D, 0.0);
  res.params.beta.assign(static_cast<size_t>(D) * D, 0.0);
  res.std_mu.assign(D, 0.0);
  res.std_alpha.assign(static_cast<size_t>(D) * D, 0.0);
  res.std_beta.assign(static_cast<size_t>(D) * D, 0.0);
  const double total_rate = static_cast<double>(ev.count) / ev.end_time;
  std::vector<double> beta_row(D);
  for (int k = 0; k < D; ++k) {
    const double rate_k = static_cast<double>(count[k]) / ev.end_time;
    double beta_k = 0, beta_se = 0;
    if (fit_beta) {
      // Profile likelihood in log beta: golden-section search over a wide bracket around the
      // event rate (decays much slower or faster than events arrive are not identifiable).
      auto profile = [&](double log_beta) {
        std::fill(beta_row.begin(), beta_row.end(), std::exp(log_beta));
        return solve_row(row_problem(ev, D, k, beta_row.data()), k, rate_k, false).objective;
      };
      double lo = std::log(total_rate * 1e-3), hi = std::log(total_rate * 1e4);
      const double invphi = 0.6180339887498949;
      double x1 = hi - invphi * (hi - lo), x2 = lo + invphi * (hi - lo);
      double f1 = profile(x1), f2 = profile(x2);
      for (int it = 0; it < 60 && hi - lo > 1e-7; ++it) {
        if (f1 < f2) {
          lo = x1;
          x1 = x2;
          f1 = f2;
          x2 = lo + invphi * (hi - lo);
          f2 = profile(x2);
        } else {
          hi = x2;
          x2 = x1;
          f2 = f1;
          x1 = hi - invphi * (hi - lo);
          f1 = profile(x1);
        }
      }
      const double xb = 0.5 * (lo + hi);
      beta_k = std::exp(xb);
      const double h = 1e-3, fc = profile(xb), fp = profile(xb + h), fm = profile(xb - h);
      const double curvature = -(fp - 2 * fc + fm) / (h * h);
      beta_se = curvature > 0 ? beta_k / std::sqrt(curvature) : std::numeric_limits<double>::quiet_NaN();
      std::fill(beta_row.begin(), beta_row.end(), beta_k);
    } else {
      for (int l = 0; l < D; ++l) beta_row[l] = opt.beta[k * D + l];
    }
    RowFit rf = solve_row(row_problem(ev, D, k, beta_row.data()), k, rate_k, true);
    res.iterations += rf.iterations;
    res.params.mu[k] = rf.theta[0];
    res.std_mu[k] = rf.se[0];
    for (int l = 0; l < D; ++l) {
      res.params.alpha[k * D + l] = rf.theta[1 + l];
      res.std_alpha[k * D + l] = rf.se[1 + l];
      res.params.beta[k * D + l] = beta_row[l];
      res.std_beta[k * D + l] = fit_beta ? beta_se : 0.0;
    }
  }
  HawkesModel model(res.params);
  res.log_likelihood = log_likelihood(model, ev);
  return res;
}

}  // namespace hawkgraph::hawkes
