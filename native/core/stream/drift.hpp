// Input drift: per node-feature histograms of the books a stream sees, over a sliding window,
// against the training distribution the model's metadata describes (feature_stats). The stream
// thread adds each book after its batch is delivered (a bin lookup per node and feature); any
// thread reads a report (PSI and a binned KS statistic per feature). Plain C++.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../book.hpp"
#include "../gnn_model.hpp"

namespace hawkgraph::stream {

// Where a feature's bins and expected fractions came from.
enum class BinSource { Histogram, Quantiles, Normal };

// One feature's reference: bins (-inf, edges[0]], (edges[0], edges[1]], ..., (edges[m-1], +inf)
// and the training set's fraction in each (edges.size() + 1 values, summing to 1).
struct FeatureReference {
  std::string name;
  int index = 0;  // its column in the node features
  std::vector<double> edges;
  std::vector<double> expected;
  BinSource source = BinSource::Normal;
};

// The bins of every feature the model's metadata describes (in node-feature order), from
// feature_stats: a JSON object of feature name -> statistics. Per feature, the first of:
//   histogram: { edges: [...], fractions: [...] }  (exact: fractions of training values per bin)
//   quantiles: [...] (values at quantile_probs, default evenly spaced (i + 1) / (m + 1)): the
//              expected fractions are the probability steps, exact for a continuous feature
//   mean, std: bins at mean + k std, k = -2, -1.5, ..., 2, expected fractions from a normal law
//              (an approximation: a feature far from normal shows drift it does not have)
// A feature with std 0 and no histogram, or no statistics, is left out. Empty: the metadata has
// no feature_stats. Throws ERR_MODEL_METADATA for feature_stats that is not valid JSON of this shape.
std::vector<FeatureReference> drift_reference(const GnnModel& model);

struct FeatureDrift {
  std::string name;
  double psi = 0;  // population stability index: sum (a - e) ln(a / e), fractions floored at kDriftFloor
  double ks = 0;   // max |A - E| of the cumulative fractions at the bin edges (a lower bound of the KS statistic)
  uint64_t window_books = 0;
  uint64_t values = 0;  // node values in the window
  BinSource source = BinSource::Normal;
  std::vector<double> actual;  // fractions per bin in the window
};

// Fractions below this count as this in the PSI (an empty bin would make it infinite).
constexpr double kDriftFloor = 1e-4;

// PSI and binned KS of observed bin counts against expected fractions (the formulas above).
void drift_statistics(const uint64_t* counts, const std::vector<double>& expected, FeatureDrift* out);

class DriftMonitor {
 public:
  // window_books: the window's length; it slides by window_books / kBlocks books.
  DriftMonitor(std::vector<FeatureReference> reference, int levels, int window_books);

  static constexpr int kBlocks = 8;

  // Stream thread: adds one validated book's node features (order_flow as the model sees it, or
  // null). Allocates nothing.
  void add(const BookView& book, const double* order_flow);

  // Any thread: the window's statistics per feature. A snapshot taken while the stream thread
  // adds may be off by the book being added.
  std::vector<FeatureDrift> report() const;

  int window_books() const { return window_books_; }

  // The bin of x among `edges` (m edges: bins 0 .. m): the first edge >= x.
  static int bin_of(const double* edges, int m, double x);

 private:
  std::vector<FeatureReference> reference_;
  const int levels_;
  const int window_books_;
  const int block_books_;
  std::vector<size_t> offset_;          // feature i's bins start at offset_[i] in the count arrays
  size_t bins_ = 0;
  std::vector<double> features_;        // one book's node features (2 L x kNodeFeatures)
  // Features that depend only on the node's place (kPlaceOnlyFeature): each node's bin, per
  // levels used, found once here; -1 for the others, which are binned per book.
  std::vector<int> place_bins_;         // [(levels_used - 1) x 2L + node] x reference_.size()
  // kBlocks x bins_ counts, written by the stream thread alone (relaxed atomics: plain stores),
  // summed by report(); the window is the current block and the kBlocks - 1 before it.
  std::unique_ptr<std::atomic<uint32_t>[]> blocks_;
  std::unique_ptr<std::atomic<uint32_t>[]> block_books_in_;  // books per block
  int current_ = 0;
};

}  // namespace hawkgraph::stream
