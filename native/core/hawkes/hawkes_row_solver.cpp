// Row k's sufficient statistics and its projected Newton solve (hawkes_row_solver.hpp).
//
// Why projected Newton (Bertsekas 1982: Newton on the free coordinates, a diagonally scaled
// gradient on the epsilon-active ones, and an Armijo search along the projection arc
// P[theta + t d]): f is self-concordant, so Newton with backtracking converges fast from any start
// and its decrement measures the nats left; the projection lets any number of coordinates reach
// the bound 0 in one step and leave it as soon as their gradient points inward. Measured on the
// issue-14 kind of streams (D = 8, 1e5 to 1e6 events, 40 % of the alpha entries 0, beta per row or
// a full matrix): 3 to 6 iterations per row from the start below, each O(n_k D^2), then the
// certificate holds; long rows take most of them on a 1/8 subsample and 3 on the whole data. EM and projected gradient converge linearly (slowest exactly when an alpha
// sits near 0, where the old failures were): far more O(n_k D) passes for the same certificate.
//
// What failed before: the old active-set loop released every bound coordinate whose gradient was
// positive, then took the Newton step on the enlarged free set; when that step pointed below 0
// for a released coordinate (its gradient is positive but the coupled Newton direction is not),
// the longest feasible step was 0, the coordinate was put back on the bound, released again next
// iteration, and so on: zero-length steps until the 200-iteration cap, which returned silently.
#include "hawkes_row_solver.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../error.hpp"
#include "../limits.hpp"

namespace hawkgraph::hawkes {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kArmijo = 1e-4;
// A cold start is first refined on every kSubsampleStride-th panel, where the row has at least
// kSubsamplePanels of them there, to a certificate looser than the subsample's own noise.
constexpr size_t kSubsampleStride = 8;
constexpr size_t kSubsamplePanels = 64;
constexpr double kSubsampleKktTolerance = 0.1;
constexpr double kSubsampleGainTolerance = 1e-2;

size_t panels_of(size_t n) { return (n + kRowPanel - 1) / kRowPanel; }

// Cholesky factor of the n x n symmetric matrix `a` (lower triangle used) in place; false when
// it is not numerically positive definite.
bool cholesky(std::vector<double>& a, int n) {
  for (int j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int q = 0; q < j; ++q) d -= a[j * n + q] * a[j * n + q];
    if (!(d > 0) || !std::isfinite(d)) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (int i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (int q = 0; q < j; ++q) s -= a[i * n + q] * a[j * n + q];
      a[i * n + j] = s / d;
    }
  }
  return true;
}

void cholesky_solve(const std::vector<double>& l, int n, double* v) {
  for (int i = 0; i < n; ++i) {
    double s = v[i];
    for (int q = 0; q < i; ++q) s -= l[i * n + q] * v[q];
    v[i] = s / l[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {
    double s = v[i];
    for (int q = i + 1; q < n; ++q) s -= l[q * n + i] * v[q];
    v[i] = s / l[i * n + i];
  }
}

// The dot product of two panel columns, in kDotLanes independent partial sums: one running sum
// would chain 64 dependent additions (its latency, not the multipliers, bounding the information
// sums, 70 % of a fit); fixed lanes vectorise at any ISA and keep the result the same on every one.
constexpr int kDotLanes = 8;
static_assert(kRowPanel % kDotLanes == 0, "panels split into whole lanes");

double panel_dot(const double* a, const double* b) {
  double s[kDotLanes] = {};
  for (int i = 0; i < kRowPanel; i += kDotLanes) {
    for (int u = 0; u < kDotLanes; ++u) s[u] += a[i + u] * b[i + u];
  }
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

// The evaluations of f, its gradient and its negated Hessian (the observed information) on the
// panels. `live` lists the coordinates that can be nonzero (a column of x that is all 0 is not
// live: its alpha is 0 at the maximum, its gradient -c_j).
class RowObjective {
 public:
  // Every `stride`-th panel only, with the compensator scaled to the share of events they hold:
  // a subsample of the problem, whose maximum is near the whole one's (stride 1: the problem).
  RowObjective(const RowStatistics& st, const std::vector<int>& live, size_t stride = 1)
      : st_(st), live_(live), stride_(stride), lam_(kRowPanel), ones_(kRowPanel, 1.0), y_(static_cast<size_t>(st.width) * kRowPanel) {
    size_t held = 0;
    for (size_t p = 0; p < panels_of(st.events); p += stride_) held += panel_count(p);
    share_ = static_cast<double>(held) / static_cast<double>(st.events);
  }

  // f at theta; with g and info (not null), its gradient g[W] and information info[W * W] (lower
  // triangle over live coordinates; the rest 0) from the same pass over the panels. -inf, and g
  // and info unset, where an intensity is not positive.
  double evaluate(const std::vector<double>& theta, std::vector<double>* g, std::vector<double>* info) {
    const int W = st_.width;
    double f = 0;
    for (int j = 0; j < W; ++j) f -= theta[j] * st_.c[j] * share_;
    if (g != nullptr) {
      for (int j = 0; j < W; ++j) (*g)[j] = -st_.c[j] * share_;
      std::fill(info->begin(), info->end(), 0.0);
    }
    const size_t panels = panels_of(st_.events);
    for (size_t p = 0; p < panels; p += stride_) {
      const int cnt = panel_count(p);
      intensities(p, cnt, theta);
      double s = 0;
      for (int i = 0; i < cnt; ++i) {
        if (!(lam_[i] > 0)) return kNegInf;
        s += std::log(lam_[i]);
      }
      f += s;
      if (g != nullptr) add_derivatives(p, cnt, *g, *info);
    }
    return f;
  }

 private:
  // The panel's terms of the gradient, sum x_a / lambda, and of the information, sum x_a x_b / lambda^2.
  void add_derivatives(size_t p, int cnt, std::vector<double>& g, std::vector<double>& info) {
    const int W = st_.width, L = static_cast<int>(live_.size());
    for (int i = 0; i < cnt; ++i) lam_[i] = 1.0 / lam_[i];
    const double* x = &st_.x[p * W * kRowPanel];
    for (int q = 0; q < L; ++q) {
      const int a = live_[q];
      const double* xa = x + a * kRowPanel;
      double* ya = &y_[q * kRowPanel];
      for (int i = 0; i < cnt; ++i) ya[i] = xa[i] * lam_[i];
      std::fill(ya + cnt, ya + kRowPanel, 0.0);  // the last panel's padding adds nothing below
      g[a] += panel_dot(ya, ones_.data());
    }
    for (int q = 0; q < L; ++q) {
      const double* ya = &y_[q * kRowPanel];
      double* row = &info[live_[q] * W];
      for (int r = 0; r <= q; ++r) row[live_[r]] += panel_dot(ya, &y_[r * kRowPanel]);
    }
  }

  int panel_count(size_t p) const {
    return static_cast<int>(std::min<size_t>(kRowPanel, st_.events - p * kRowPanel));
  }

  void intensities(size_t p, int cnt, const std::vector<double>& theta) {
    const int W = st_.width;
    const double* x = &st_.x[p * W * kRowPanel];
    for (int i = 0; i < cnt; ++i) lam_[i] = theta[0];  // column 0 is the baseline's 1
    for (int a : live_) {
      if (a == 0 || theta[a] == 0) continue;
      const double ta = theta[a];
      const double* xa = x + a * kRowPanel;
      for (int i = 0; i < cnt; ++i) lam_[i] += ta * xa[i];
    }
  }

  const RowStatistics& st_;
  const std::vector<int>& live_;
  size_t stride_;
  double share_ = 1;
  std::vector<double> lam_, ones_, y_;
};

}  // namespace

namespace {

// R_k.(t) at the instant starting at event i from R at the previous type-k instant (at last_k,
// its first event `pending`) and the events since, for any decay rates beta_row[l].
void fold_events(const EventStream& ev, const double* beta_row, bool uniform, double last_k, size_t pending,
                 size_t i, std::vector<double>& r) {
  const int D = static_cast<int>(r.size());
  const double t = ev.times[i], dt = t - last_k;
  if (uniform) {
    const double f = std::exp(-beta_row[0] * dt);
    for (int l = 0; l < D; ++l) r[l] *= f;
  } else {
    for (int l = 0; l < D; ++l) r[l] *= std::exp(-beta_row[l] * dt);
  }
  for (size_t q = pending; q < i; ++q) {
    const int l = ev.types[q];
    r[l] += std::exp(-beta_row[l] * (t - ev.times[q]));
  }
}

// The events of each type.
std::vector<size_t> type_counts(const EventStream& ev, int D) {
  std::vector<size_t> count(D, 0);
  for (size_t q = 0; q < ev.count; ++q) ++count[ev.types[q]];
  return count;
}

// Row k's statistics with room for its events, and its compensator c.
RowStatistics empty_statistics(const EventStream& ev, const std::vector<size_t>& count, int k, const double* beta_row) {
  const int D = static_cast<int>(count.size());
  const size_t events = count[k];
  RowStatistics st;
  st.width = D + 1;
  st.events = events;
  st.x.assign(panels_of(events) * st.width * kRowPanel, 0.0);
  st.c.assign(st.width, 0.0);
  st.column_max.assign(st.width, 0.0);
  st.column_max[0] = events > 0 ? 1.0 : 0.0;
  st.c[0] = ev.end_time - ev.start_time;
  // C_kl sums (1 - exp(-beta (T - t))) / beta over the events of type l. Where beta (T - t) > 40
  // the exponential is below 1e-17, nothing next to the 1: such an event adds exactly 1 / beta.
  // Only the events within 40 / min(beta) of the end need an exponential; the rest are counted.
  const double slowest = *std::min_element(beta_row, beta_row + D);
  std::vector<size_t> settled(count);  // less those within reach of the end, below
  size_t q = ev.count;
  while (q > 0 && slowest * (ev.end_time - ev.times[q - 1]) <= 40) {
    --q;
    const int l = ev.types[q];
    const double x = beta_row[l] * (ev.end_time - ev.times[q]);
    if (x <= 40) {
      --settled[l];
      st.c[1 + l] += -std::expm1(-x) / beta_row[l];
    }
  }
  for (int l = 0; l < D; ++l) st.c[1 + l] += static_cast<double>(settled[l]) / beta_row[l];
  return st;
}

// Stores R (the D values of r) as the m-th event's x: its panel column, after the baseline's 1.
void store_event(RowStatistics& st, size_t m, const double* r) {
  double* x = &st.x[(m / kRowPanel) * st.width * kRowPanel + m % kRowPanel];
  x[0] = 1.0;
  for (int l = 0; l + 1 < st.width; ++l) {
    x[(1 + l) * kRowPanel] = r[l];
    st.column_max[1 + l] = std::max(st.column_max[1 + l], r[l]);
  }
}

}  // namespace

RowStatistics row_statistics(const EventStream& ev, int D, int k, const double* beta_row) {
  RowStatistics st = empty_statistics(ev, type_counts(ev, D), k, beta_row);
  const bool uniform = std::all_of(beta_row, beta_row + D, [&](double b) { return b == beta_row[0]; });
  std::vector<double> r(D, 0.0);  // R_k.(t) at the last type-k instant
  double last_k = ev.start_time;
  size_t pending = 0;  // the first event of the last type-k instant: the events from it on are folded in at the next
  size_t m = 0, i = 0;
  while (i < ev.count) {
    const double t = ev.times[i];
    size_t j = i;
    bool has_k = false;
    while (j < ev.count && ev.times[j] == t) has_k |= ev.types[j++] == k;
    if (has_k) {
      // Events at this instant do not excite each other: only those strictly before t.
      fold_events(ev, beta_row, uniform, last_k, pending, i, r);
      for (size_t q = i; q < j; ++q) {
        if (ev.types[q] == k) store_event(st, m++, r.data());
      }
      pending = i;
      last_k = t;
    }
    i = j;
  }
  return st;
}

std::vector<RowStatistics> shared_rate_statistics(const EventStream& ev, int D, const std::vector<int>& rows,
                                                  double beta) {
  const std::vector<size_t> count = type_counts(ev, D);
  const std::vector<double> beta_row(D, beta);
  std::vector<int> slot(D, -1);  // type -> its place in `rows`
  std::vector<RowStatistics> out;
  for (size_t s = 0; s < rows.size(); ++s) {
    slot[rows[s]] = static_cast<int>(s);
    out.push_back(empty_statistics(ev, count, rows[s], beta_row.data()));
  }
  std::vector<size_t> m(rows.size(), 0);
  std::vector<double> r(D, 0.0);  // R_.l(t) before the instant t: the events strictly before it
  double last = ev.start_time;
  size_t i = 0;
  while (i < ev.count) {
    const double t = ev.times[i];
    const double f = std::exp(-beta * (t - last));
    for (int l = 0; l < D; ++l) r[l] *= f;
    size_t j = i;
    for (; j < ev.count && ev.times[j] == t; ++j) {
      const int s = slot[ev.types[j]];
      if (s >= 0) store_event(out[s], m[s]++, r.data());
    }
    for (size_t q = i; q < j; ++q) r[ev.types[q]] += 1.0;
    last = t;
    i = j;
  }
  return out;
}

namespace {

// Projected Newton iterations on `obj` from theta (updated in place) until the certificate holds
// to the tolerances: out gets the iterations, the certificate, f, its gradient, and `info` the
// information at theta. c0 is the baseline's compensator, n_k the row's events (a fallback start).
void projected_newton(RowObjective& obj, const std::vector<int>& live, int k, double kkt_tolerance, double gain_tolerance,
                      double n_k, double c0, const std::atomic<bool>* cancel, std::vector<double>& theta,
                      std::vector<double>& info, RowSolution& out) {
  const int W = static_cast<int>(theta.size());
  std::vector<double>& g = out.gradient;
  g.assign(W, 0.0);
  info.assign(static_cast<size_t>(W) * W, 0.0);
  std::vector<double> d(W), trial(W), scale(W, 0.0), chol, g_trial(W), info_trial(info.size());
  double& f = out.objective;
  f = obj.evaluate(theta, &g, &info);
  if (!(f > kNegInf)) {  // a warm start with mu at 0 on an event that nothing excites
    theta[0] = 0.5 * n_k / c0;
    f = obj.evaluate(theta, &g, &info);
  }
  bool have_derivatives = true;  // g and info are at theta
  std::vector<int> free_set;
  const int max_iterations = limits::kFitMaxIterations;
  for (int it = 0;; ++it) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) throw FitCancelled{};
    if (!have_derivatives) obj.evaluate(theta, &g, &info);
    // Standardised KKT residual: a coordinate's gradient over the square root of its own
    // curvature (what moving it alone could gain is half the square).
    double kkt = 0, residual = 0;
    for (int a : live) {
      scale[a] = std::sqrt(info[a * W + a]);
      const double gs = g[a] / scale[a];
      kkt = std::max(kkt, theta[a] > 0 ? std::fabs(gs) : std::max(gs, 0.0));
      residual = std::max(residual, std::fabs(theta[a] * scale[a] - std::max(0.0, theta[a] * scale[a] + gs)));
    }
    // Epsilon-active set: coordinates at (or within eps of) the bound whose gradient points out.
    const double eps = std::min(1e-3, residual);
    free_set.clear();
    for (int a : live) {
      const bool held = g[a] < 0 && theta[a] * scale[a] <= eps;
      if (!held) free_set.push_back(a);
    }
    const int F = static_cast<int>(free_set.size());
    chol.assign(static_cast<size_t>(F) * F, 0.0);
    for (int p = 0; p < F; ++p) {
      for (int q = 0; q <= p; ++q) {
        const int a = std::max(free_set[p], free_set[q]), b = std::min(free_set[p], free_set[q]);
        chol[p * F + q] = info[a * W + b];
      }
    }
    std::vector<double> step(F);
    for (int p = 0; p < F; ++p) step[p] = g[free_set[p]];
    if (!cholesky(chol, F)) {
      // Numerically singular on the free set: a Levenberg ridge keeps the step an ascent direction.
      bool ok = false;
      for (double ridge = 1e-10; ridge < 1e2 && !ok; ridge *= 100) {
        chol.assign(static_cast<size_t>(F) * F, 0.0);
        for (int p = 0; p < F; ++p) {
          for (int q = 0; q <= p; ++q) {
            const int a = std::max(free_set[p], free_set[q]), b = std::min(free_set[p], free_set[q]);
            chol[p * F + q] = info[a * W + b] + (p == q ? ridge * info[a * W + a] : 0.0);
          }
        }
        ok = cholesky(chol, F);
      }
      if (!ok) {
        for (int p = 0; p < F; ++p) step[p] /= info[free_set[p] * W + free_set[p]];
      } else {
        cholesky_solve(chol, F, step.data());
      }
    } else {
      cholesky_solve(chol, F, step.data());
    }
    double decrement2 = 0;
    for (int p = 0; p < F; ++p) decrement2 += g[free_set[p]] * step[p];
    out.kkt_residual = kkt;
    out.expected_gain = 0.5 * std::max(0.0, decrement2);
    out.iterations = it;
    if (kkt <= kkt_tolerance && out.expected_gain <= gain_tolerance) {
      out.converged = true;
      break;
    }
    if (it >= max_iterations) {
      out.failure = "dimension " + std::to_string(k) + " did not converge in " + std::to_string(max_iterations) +
                    " Newton iterations (standardised KKT residual " + format_number(kkt) + ")";
      break;
    }
    // Armijo search along the projection arc of the Newton direction; should it fail (the
    // information badly conditioned), along the diagonally scaled gradient's.
    double f_new = kNegInf;
    bool accepted = false;
    const double slack = 64 * std::numeric_limits<double>::epsilon() * (std::fabs(f) + 1);
    for (int direction = 0; direction < 2 && !accepted; ++direction) {
      std::fill(d.begin(), d.end(), 0.0);
      if (direction == 0) {
        for (int p = 0; p < F; ++p) d[free_set[p]] = step[p];
        for (int a : live) {
          if (g[a] < 0 && theta[a] * scale[a] <= eps) d[a] = g[a] / info[a * W + a];
        }
      } else {
        for (int a : live) d[a] = g[a] / info[a * W + a];
      }
      double t = 1;
      for (int half = 0; half < 60 && !accepted; ++half, t *= 0.5) {
        double predicted = 0;
        for (int a : live) {
          trial[a] = std::max(0.0, theta[a] + t * d[a]);
          predicted += g[a] * (trial[a] - theta[a]);
        }
        if (!(predicted > 0)) break;  // the arc has collapsed onto theta: no ascent left in floating point
        // The full step's point is usually the next iterate: its derivatives come from the same pass.
        const bool full_step = direction == 0 && half == 0;
        f_new = full_step ? obj.evaluate(trial, &g_trial, &info_trial) : obj.evaluate(trial, nullptr, nullptr);
        have_derivatives = full_step;
        // Within f's rounding (a sum of n_k logs), an increase below it cannot be told from a
        // decrease: the slack lets the last Newton steps through instead of halving them to nothing.
        accepted = f_new >= f + kArmijo * predicted - slack;
      }
    }
    if (!accepted) {
      // No representable increase: a maximum to rounding if the certificate holds anyway.
      out.converged = kkt <= kkt_tolerance && out.expected_gain <= gain_tolerance;
      if (!out.converged) {
        out.failure = "dimension " + std::to_string(k) + ": the line search found no increase at iteration " +
                      std::to_string(it) + " (standardised KKT residual " + format_number(kkt) + ")";
      }
      break;
    }
    for (int a : live) theta[a] = trial[a];
    f = f_new;
    if (have_derivatives) {
      g.swap(g_trial);
      info.swap(info_trial);
    }
  }
}

}  // namespace

RowSolution solve_row(const RowStatistics& st, int k, const double* start, bool want_std_err,
                      const std::atomic<bool>* cancel) {
  const int W = st.width;
  const double n_k = static_cast<double>(st.events);
  // A coordinate whose column is all 0 (no event of that type ever precedes a type-k event), or
  // so small that its square underflows (a decay far faster than the gaps), cannot raise f: it
  // stays at 0, where its gradient is -c_j < 0 (to rounding).
  std::vector<int> live{0};
  for (int a = 1; a < W; ++a) {
    if (st.column_max[a] > 1e-100) live.push_back(a);
  }
  const int L = static_cast<int>(live.size());

  std::vector<double> theta(W, 0.0);
  if (start != nullptr) {
    for (int a : live) theta[a] = std::max(0.0, start[a]);
  }
  if (start == nullptr || !(theta[0] > 0)) {
    // Half the events to the baseline, half spread over the excitations: then theta . c = n_k,
    // which holds at the maximum too.
    theta[0] = 0.5 * n_k / st.c[0];
    for (int q = 1; q < L; ++q) theta[live[q]] = 0.5 * n_k / ((L - 1) * st.c[live[q]]);
  }
  // Along the ray s * theta, f is n_k log s - s theta . c + const: its maximum s = n_k / theta . c
  // puts a (warm) start at the right overall scale at no cost.
  double mass = 0;
  for (int a : live) mass += theta[a] * st.c[a];
  for (int a : live) theta[a] *= n_k / mass;
  RowSolution out;
  std::vector<double> info, chol;
  if (start == nullptr && panels_of(st.events) >= kSubsampleStride * kSubsamplePanels) {
    // From a cold start, most iterations only approach the maximum: they run on every
    // kSubsampleStride-th panel (its maximum is within about sqrt(kSubsampleStride) standard
    // errors of the whole problem's), and the whole problem's iterations start from there.
    RowObjective rough(st, live, kSubsampleStride);
    RowSolution approach;
    projected_newton(rough, live, k, kSubsampleKktTolerance, kSubsampleGainTolerance, n_k, st.c[0], cancel, theta, info, approach);
  }
  RowObjective obj(st, live);
  projected_newton(obj, live, k, limits::kFitKktTolerance, limits::kFitGainTolerance, n_k, st.c[0], cancel, theta, info, out);
  const std::vector<double>& g = out.gradient;
  out.theta = theta;
  for (int a = 0; a < W; ++a) {
    if (theta[a] > 0) {
      out.max_free_gradient = std::max(out.max_free_gradient, std::fabs(g[a]));
    } else {
      out.max_bound_violation = std::max(out.max_bound_violation, std::max(g[a], 0.0));
    }
  }
  if (want_std_err) {
    // The inverse observed information on the coordinates off the bound.
    std::vector<int> on;
    for (int a : live) {
      if (theta[a] > 0) on.push_back(a);
    }
    const int N = static_cast<int>(on.size());
    chol.assign(static_cast<size_t>(N) * N, 0.0);
    for (int p = 0; p < N; ++p) {
      for (int q = 0; q <= p; ++q) chol[p * N + q] = info[std::max(on[p], on[q]) * W + std::min(on[p], on[q])];
    }
    out.std_err.assign(W, std::numeric_limits<double>::quiet_NaN());
    if (!cholesky(chol, N)) {
      throw Error("ERR_FIT_UNIDENTIFIABLE", "the observed information of dimension " + std::to_string(k) +
                                                " is singular at the estimate: the data cannot identify mu[" + std::to_string(k) +
                                                "] and alpha[" + std::to_string(k) +
                                                "][*] (too few events, or excitations that never overlap)");
    }
    std::vector<double> e(N);
    for (int p = 0; p < N; ++p) {
      std::fill(e.begin(), e.end(), 0.0);
      e[p] = 1.0;
      cholesky_solve(chol, N, e.data());
      out.std_err[on[p]] = std::sqrt(e[p]);
    }
  }
  return out;
}

}  // namespace hawkgraph::hawkes
