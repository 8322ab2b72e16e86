#include "hawkes_residuals.hpp"

#include <cmath>


namespace hawkgraph::hawkes {

Residuals time_rescaling_residuals(const HawkesModel& model, const EventStream& events, double start_time) {
  const HawkesTables& m = model.tables();
  // The window [start_time, end_time] is checked as the likelihood checks it (validate_events).
  EventStream ev = events;
  ev.start_time = start_time;
  validate_events(ev, m.dims);
  const int D = m.dims, C = m.comps, G = m.groups;
  std::vector<double> y(C, 0.0), inv_beta(C), decay(G), mass_share(G), acc(D, 0.0);
  for (int c = 0; c < C; ++c) inv_beta[c] = 1.0 / model.comp_beta[c];
  Residuals out;
  out.residuals.resize(ev.count);
  double t_prev = start_time;
  // Adds the compensator of every type over (t_prev, t] to acc and decays the amplitudes to t.
  // A component of amplitude y contributes y (1 - exp(-beta dt)) / beta; expm1 keeps that exact
  // for the short gaps of a busy stream, where 1 - exp would lose its digits.
  auto advance = [&](double t) {
    const double dt = t - t_prev;
    if (dt <= 0) return;
    for (int g = 0; g < G; ++g) {
      mass_share[g] = -std::expm1(-m.group_beta[g] * dt);
      decay[g] = 1.0 - mass_share[g];
    }
    for (int k = 0; k < D; ++k) acc[k] += m.mu[k] * dt;
    for (int c = 0; c < C; ++c) {
      const int g = m.comp_group[c];
      acc[m.comp_dim[c]] += y[c] * mass_share[g] * inv_beta[c];
      y[c] *= decay[g];
    }
    t_prev = t;
  };
  size_t i = 0;
  while (i < ev.count) {
    const double t = ev.times[i];
    advance(t);
    size_t j = i;
    while (j < ev.count && ev.times[j] == t) ++j;
    for (size_t q = i; q < j; ++q) {
      const int k = ev.types[q];
      out.residuals[q] = acc[k];
      acc[k] = 0.0;
    }
    for (size_t q = i; q < j; ++q) {
      const int l = ev.types[q];
      for (int e = m.exc_begin[l]; e < m.exc_begin[l + 1]; ++e) y[m.exc_comp[e]] += m.exc_alpha[e];
    }
    i = j;
  }
  advance(ev.end_time);
  out.tail = acc;
  return out;
}

}  // namespace hawkgraph::hawkes
