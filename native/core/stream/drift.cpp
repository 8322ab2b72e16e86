#include "drift.hpp"

#include <algorithm>
#include <cmath>

#include "../error.hpp"
#include "../features.hpp"
#include "../json.hpp"

namespace hawkgraph::stream {
namespace {

// The node features' names in column order, as the trainer writes them (train/.../data.py).
constexpr const char* kFeatureNames[kNodeFeatures] = {"is_bid",    "log1p_volume", "distance_from_mid", "order_flow",
                                                      "level_frac", "inv_rank",     "volume_share",      "reserved"};

[[noreturn]] void bad(const std::string& what) {
  throw Error("ERR_MODEL_METADATA", "metadata feature_stats: " + what);
}

std::vector<double> numbers(const json::Value& v, const std::string& where) {
  if (v.kind != json::Kind::Array) bad(where + " must be an array of numbers");
  std::vector<double> out;
  for (const json::Value& x : v.array) {
    if (x.kind != json::Kind::Number || !std::isfinite(x.number)) bad(where + " must be an array of finite numbers");
    out.push_back(x.number);
  }
  return out;
}

void check_edges(const std::vector<double>& edges, const std::string& where) {
  if (edges.empty()) bad(where + " must not be empty");
  for (size_t i = 1; i < edges.size(); ++i) {
    if (!(edges[i] > edges[i - 1])) bad(where + " must be strictly increasing");
  }
}

double number_field(const json::Value& stats, const char* key, const std::string& where) {
  const json::Value* v = stats.find(key);
  if (v == nullptr) return NAN;
  if (v->kind != json::Kind::Number || !std::isfinite(v->number)) bad(where + "." + key + " must be a finite number");
  return v->number;
}

bool from_histogram(const json::Value& h, const std::string& where, FeatureReference* ref) {
  if (h.kind != json::Kind::Object) bad(where + " must be an object { edges, fractions }");
  const json::Value* edges = h.find("edges");
  const json::Value* fractions = h.find("fractions");
  if (edges == nullptr || fractions == nullptr) bad(where + " needs edges and fractions");
  ref->edges = numbers(*edges, where + ".edges");
  check_edges(ref->edges, where + ".edges");
  ref->expected = numbers(*fractions, where + ".fractions");
  if (ref->expected.size() != ref->edges.size() + 1) bad(where + ".fractions must hold one more value than edges");
  double total = 0;
  for (double f : ref->expected) {
    if (f < 0) bad(where + ".fractions must not be negative");
    total += f;
  }
  if (std::abs(total - 1) > 1e-6) bad(where + ".fractions must sum to 1");
  ref->source = BinSource::Histogram;
  return true;
}

// Quantile values at probabilities: duplicated values (a point mass) merge into one edge whose
// bin takes their probability steps.
void from_quantiles(const std::vector<double>& values, std::vector<double> probs, const std::string& where,
                    FeatureReference* ref) {
  const size_t m = values.size();
  if (m == 0) bad(where + ".quantiles must not be empty");
  if (probs.empty()) {
    for (size_t i = 0; i < m; ++i) probs.push_back(static_cast<double>(i + 1) / static_cast<double>(m + 1));
  }
  if (probs.size() != m) bad(where + ".quantile_probs must hold as many values as quantiles");
  double last_p = 0;
  for (size_t i = 0; i < m; ++i) {
    if (!(probs[i] >= last_p && probs[i] <= 1) || (i > 0 && values[i] < values[i - 1])) {
      bad(where + ".quantiles and quantile_probs must be nondecreasing, probabilities within [0, 1]");
    }
    last_p = probs[i];
  }
  double below = 0;
  for (size_t i = 0; i < m; ++i) {
    if (!ref->edges.empty() && values[i] == ref->edges.back()) {
      ref->expected.back() += probs[i] - below;
    } else {
      ref->edges.push_back(values[i]);
      ref->expected.push_back(probs[i] - below);
    }
    below = probs[i];
  }
  ref->expected.push_back(1 - below);
  ref->source = BinSource::Quantiles;
}

void from_normal(double mean, double sd, FeatureReference* ref) {
  constexpr double kSteps[] = {-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2};
  double below = 0;
  for (double k : kSteps) {
    const double cdf = 0.5 * std::erfc(-k / std::sqrt(2.0));
    ref->edges.push_back(mean + k * sd);
    ref->expected.push_back(cdf - below);
    below = cdf;
  }
  ref->expected.push_back(1 - below);
  ref->source = BinSource::Normal;
}

}  // namespace

std::vector<FeatureReference> drift_reference(const GnnModel& model) {
  std::vector<FeatureReference> out;
  const auto it = model.metadata.find("feature_stats");
  if (it == model.metadata.end()) return out;
  const json::Value stats = json::parse(it->second);
  if (stats.kind != json::Kind::Object) bad("must be a JSON object of feature name -> statistics");
  for (int f = 0; f < kNodeFeatures; ++f) {
    const json::Value* s = stats.find(kFeatureNames[f]);
    if (s == nullptr) continue;
    const std::string where = kFeatureNames[f];
    if (s->kind != json::Kind::Object) bad(where + " must be an object");
    FeatureReference ref;
    ref.name = kFeatureNames[f];
    ref.index = f;
    if (const json::Value* h = s->find("histogram")) {
      from_histogram(*h, where + ".histogram", &ref);
    } else if (const json::Value* q = s->find("quantiles")) {
      const json::Value* p = s->find("quantile_probs");
      from_quantiles(numbers(*q, where + ".quantiles"), p ? numbers(*p, where + ".quantile_probs") : std::vector<double>{},
                     where, &ref);
    } else {
      const double mean = number_field(*s, "mean", where), sd = number_field(*s, "std", where);
      if (std::isnan(mean) || std::isnan(sd)) continue;
      if (sd < 0) bad(where + ".std must not be negative");
      if (sd == 0) continue;  // a constant feature: nothing to bin
      from_normal(mean, sd, &ref);
    }
    out.push_back(std::move(ref));
  }
  return out;
}

void drift_statistics(const uint64_t* counts, const std::vector<double>& expected, FeatureDrift* out) {
  const size_t bins = expected.size();
  uint64_t total = 0;
  for (size_t b = 0; b < bins; ++b) total += counts[b];
  out->values = total;
  out->actual.assign(bins, 0.0);
  out->psi = 0;
  out->ks = 0;
  if (total == 0) return;
  double cum_a = 0, cum_e = 0;
  for (size_t b = 0; b < bins; ++b) {
    const double a = static_cast<double>(counts[b]) / static_cast<double>(total);
    out->actual[b] = a;
    const double af = std::max(a, kDriftFloor), ef = std::max(expected[b], kDriftFloor);
    out->psi += (af - ef) * std::log(af / ef);
    cum_a += a;
    cum_e += expected[b];
    if (b + 1 < bins) out->ks = std::max(out->ks, std::abs(cum_a - cum_e));
  }
}

int DriftMonitor::bin_of(const double* edges, int m, double x) {
  // Branch-free over the few edges a feature has.
  int b = 0;
  for (int i = 0; i < m; ++i) b += edges[i] < x;
  return b;
}

DriftMonitor::DriftMonitor(std::vector<FeatureReference> reference, int levels, int window_books)
    : reference_(std::move(reference)),
      levels_(levels),
      window_books_(window_books),
      block_books_(std::max(1, window_books / kBlocks)) {
  for (const FeatureReference& r : reference_) {
    offset_.push_back(bins_);
    bins_ += r.expected.size();
  }
  const size_t nodes = static_cast<size_t>(2 * levels), F = reference_.size();
  features_.resize(nodes * kNodeFeatures);
  blocks_ = std::make_unique<std::atomic<uint32_t>[]>(kBlocks * bins_);
  for (size_t b = 0; b < kBlocks * bins_; ++b) blocks_[b].store(0, std::memory_order_relaxed);
  block_books_in_ = std::make_unique<std::atomic<uint32_t>[]>(kBlocks);
  for (int k = 0; k < kBlocks; ++k) block_books_in_[k].store(0, std::memory_order_relaxed);
  // Place-only features: their bins from a book of each depth (any valid prices and sizes).
  place_bins_.assign(static_cast<size_t>(levels) * nodes * F, -1);
  std::vector<double> bid_px(levels), ask_px(levels), sizes(levels, 1.0);
  for (int i = 0; i < levels; ++i) {
    bid_px[i] = 100.0 - i;
    ask_px[i] = 101.0 + i;
  }
  for (int used = 1; used <= levels; ++used) {
    const BookView book{{bid_px.data(), sizes.data(), used}, {ask_px.data(), sizes.data(), used}};
    build_node_features(book, levels, nullptr, features_.data());
    for (size_t i = 0; i < F; ++i) {
      const FeatureReference& r = reference_[i];
      if (!kPlaceOnlyFeature[r.index]) continue;
      for (int node = 0; node < 2 * used; ++node) {
        const double x = features_[static_cast<size_t>(node) * kNodeFeatures + r.index];
        place_bins_[((static_cast<size_t>(used) - 1) * nodes + node) * F + i] =
            bin_of(r.edges.data(), static_cast<int>(r.edges.size()), x);
      }
    }
  }
}

void DriftMonitor::add(const BookView& book, const double* order_flow) {
  if (bins_ == 0) return;
  auto bump = [](std::atomic<uint32_t>& c, uint32_t by) {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  };
  if (block_books_in_[current_].load(std::memory_order_relaxed) == static_cast<uint32_t>(block_books_)) {
    // The oldest block leaves the window and becomes the current one.
    current_ = (current_ + 1) % kBlocks;
    std::atomic<uint32_t>* block = blocks_.get() + static_cast<size_t>(current_) * bins_;
    for (size_t b = 0; b < bins_; ++b) block[b].store(0, std::memory_order_relaxed);
    block_books_in_[current_].store(0, std::memory_order_relaxed);
  }
  const int used = build_node_features(book, levels_, order_flow, features_.data());
  std::atomic<uint32_t>* block = blocks_.get() + static_cast<size_t>(current_) * bins_;
  const size_t nodes = static_cast<size_t>(2 * levels_), F = reference_.size();
  const int* place = place_bins_.data() + (static_cast<size_t>(used) - 1) * nodes * F;
  for (size_t i = 0; i < F; ++i) {
    const FeatureReference& r = reference_[i];
    std::atomic<uint32_t>* counts = block + offset_[i];
    if (kPlaceOnlyFeature[r.index]) {
      for (int node = 0; node < 2 * used; ++node) bump(counts[place[static_cast<size_t>(node) * F + i]], 1);
      continue;
    }
    const double* edges = r.edges.data();
    const int m = static_cast<int>(r.edges.size());
    for (int node = 0; node < 2 * used; ++node) {
      bump(counts[bin_of(edges, m, features_[static_cast<size_t>(node) * kNodeFeatures + r.index])], 1);
    }
  }
  bump(block_books_in_[current_], 1);
}

std::vector<FeatureDrift> DriftMonitor::report() const {
  std::vector<FeatureDrift> out;
  std::vector<uint64_t> counts;
  uint64_t books = 0;
  for (int k = 0; k < kBlocks; ++k) books += block_books_in_[k].load(std::memory_order_relaxed);
  for (size_t i = 0; i < reference_.size(); ++i) {
    const FeatureReference& r = reference_[i];
    counts.assign(r.expected.size(), 0);
    for (int k = 0; k < kBlocks; ++k) {
      const std::atomic<uint32_t>* block = blocks_.get() + static_cast<size_t>(k) * bins_ + offset_[i];
      for (size_t b = 0; b < counts.size(); ++b) counts[b] += block[b].load(std::memory_order_relaxed);
    }
    FeatureDrift d;
    d.name = r.name;
    d.source = r.source;
    d.window_books = books;
    drift_statistics(counts.data(), r.expected, &d);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace hawkgraph::stream
