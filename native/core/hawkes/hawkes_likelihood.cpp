#include "hawkes_likelihood.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "../error.hpp"
#include "../limits.hpp"

namespace hawkgraph::hawkes {
namespace {

[[noreturn]] void bad_events(const std::string& message) { throw Error("ERR_HAWKES_EVENTS", message); }

}  // namespace

void validate_events(const EventStream& ev, int dims) {
  const double s0 = ev.start_time;
  if (!std::isfinite(s0)) bad_events("startTime must be a finite number, got " + format_number(s0));
  // "> 0" / ">= 0" when the window starts at 0 (the default), "> startTime 5" otherwise.
  const std::string from = s0 == 0 ? "0" : "startTime " + format_number(s0);
  if (!std::isfinite(ev.end_time) || ev.end_time <= s0) {
    bad_events("endTime must be a finite number > " + from + ", got " + format_number(ev.end_time));
  }
  double prev = s0;
  for (size_t i = 0; i < ev.count; ++i) {
    const double t = ev.times[i];
    if (!std::isfinite(t) || t < s0) bad_events("times[" + std::to_string(i) + "] must be a finite number >= " + from + ", got " + format_number(t));
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
  if (ev.count < 2) return;
  const double first = ev.times[0], last = ev.times[ev.count - 1];
  const double mean_gap = (last - first) / static_cast<double>(ev.count - 1);
  if (!(mean_gap > 0)) return;  // every event at one instant: no rate to judge the window by
  const double ratio = limits::kMaxWindowGapRatio;
  if (first - s0 > ratio * mean_gap) {
    bad_events("the window starts implausibly early: the first event (times[0] = " + format_number(first) + ") comes " +
               format_number(first - s0) + " time units after the window's start " + format_number(s0) + ", more than " +
               format_number(ratio) + " times the mean gap between events (" + format_number(mean_gap) +
               "); pass startTime (the start of the observation, e.g. the feed's first timestamp: epoch times against a "
               "window from 0 look like this)");
  }
  if (ev.end_time - last > ratio * mean_gap) {
    bad_events("the window ends implausibly late: endTime " + format_number(ev.end_time) + " comes " +
               format_number(ev.end_time - last) + " time units after the last event (" + format_number(last) +
               "), more than " + format_number(ratio) + " times the mean gap between events (" + format_number(mean_gap) +
               "); endTime must be the end of the observation, in the events' time unit");
  }
}

double log_likelihood(const HawkesModel& model, const EventStream& ev) {
  const HawkesTables& m = model.tables();
  validate_events(ev, m.dims);
  std::vector<double> y(m.comps, 0.0), decay(m.groups), added(m.comps, 0.0), nothing(m.groups);
  PathState s{ev.start_time, 0.0, y.data(), nothing.data(), decay.data()};
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
  // Integral of a component over [S, T]: (mass added - what is left at T) / beta.
  double compensator = m.mu_total * (ev.end_time - ev.start_time);
  for (int c = 0; c < m.comps; ++c) compensator += (added[c] - y[c]) / model.comp_beta[c];
  return ll - compensator;
}

}  // namespace hawkgraph::hawkes
