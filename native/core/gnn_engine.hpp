// The inference engine: one model, one backend, preallocated output buffers. It validates books,
// hands them to the backend (which builds its own inputs) and derives probabilities and the
// direction. Its backends come from a BackendProvider (the registry, backends/registry.hpp), which
// also decides whether a failure mid-run moves it to another backend. Not thread-safe: one caller
// at a time (the addon calls it from the JS thread). A hot swap builds a ModelRun for the new model
// on any thread (prepare_model_run), and the engine's own thread installs it between two calls.
// Plain C++; no backend header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend.hpp"
#include "book.hpp"
#include "error.hpp"
#include "gnn_model.hpp"
#include "layouts.hpp"

namespace hawkgraph {

class ThreadPool;

// A batch's results as struct-of-arrays, written in place (the JS result's typed arrays): book k's
// values at [k] (logits and probs at [3k .. 3k + 2], the embedding at [E k .. E k + E - 1]).
struct PredictionColumns {
  uint8_t* direction;  // 0 down, 1 flat, 2 up
  double* logits;
  double* probs;
  double* confidence;
  double* magnitude;
  double* volatility;
  int32_t* levels_used;
  float* embedding;  // null: not wanted (then no backend copies it)
};

// Told once when a failure mid-run moved the engine to another backend, after the call that
// failed has completed there (its results are written): `reason` is the failure's message.
class FallbackListener {
 public:
  virtual ~FallbackListener() = default;
  virtual void on_fallback(const std::string& reason) = 0;
};

// One model made ready to run: the (shared, immutable) model, a backend of its own with its
// weights prepared, and the staging pool that backend wants. `serial` names the model in every
// prediction row it writes (prediction_row::kModel). Built off the hot path; an engine owns the
// one it runs, and a stream hands retired ones back through `retired_next` without allocating.
struct ModelRun {
  std::shared_ptr<const GnnModel> model;
  uint32_t serial = 0;
  std::unique_ptr<InferenceBackend> backend;
  std::unique_ptr<ThreadPool> host_pool;
  std::string fallback_reason;  // why it is not on the backend asked for ("" when it is)
  ModelRun* retired_next = nullptr;

  ModelRun();
  ~ModelRun();
};

// The backend for `model` from `provider`, its weights prepared and (reserve_books > 0) its batch
// staging sized for that many books, so the thread that installs it allocates nothing on its
// first batch. Any thread: the provider is immutable. Throws hawkgraph::Error when no backend may
// run the model.
std::unique_ptr<ModelRun> prepare_model_run(std::shared_ptr<const GnnModel> model, const BackendProvider& provider,
                                            uint32_t serial, int reserve_books = 0);

// Another run of `run`'s model, for a second thread: its backend's sibling (the prepared weights
// shared, read-only) where the backend has one, else a backend built anew by `provider`. Staging
// as prepare_model_run's.
std::unique_ptr<ModelRun> sibling_run(const ModelRun& run, const BackendProvider& provider, int reserve_books = 0);

// Refuses (ERR_MODEL_INCOMPATIBLE) a model an engine built for `running` cannot swap to: another
// depth, node features, hidden size or heads (its buffers, rows and the stream's slots are sized
// by them) or order-flow mode (the stream's slots compute it or not). The message names the field
// and both values.
void check_swappable(const GnnModel& running, const GnnModel& next);

// Refuses (ERR_MODEL_INCOMPATIBLE) a shadow model a stream of `running` cannot feed: another depth
// (the stream's slots hold `levels` levels) or order-flow mode. Other sizes may differ: a shadow
// has its own buffers.
void check_shadowable(const GnnModel& running, const GnnModel& next);

class GnnEngine {
 public:
  // Starts on provider->create(*model). Throws hawkgraph::Error when no backend may run it.
  GnnEngine(std::shared_ptr<const GnnModel> model, std::shared_ptr<const BackendProvider> provider, uint32_t serial = 1);
  // Starts on a run prepare_model_run built (off the hot path): a stream's model B or a shadow,
  // its batch arenas sized for reserve_books books.
  GnnEngine(std::unique_ptr<ModelRun> run, std::shared_ptr<const BackendProvider> provider, int reserve_books);
  ~GnnEngine();

  // A new engine on the same (shared, immutable) model and provider, with its own backend and
  // buffers (sharing the prepared weights where the backend can, sibling_run): for a second
  // thread, since one engine serves one thread at a time. It tells no listener of its fallbacks.
  std::unique_ptr<GnnEngine> sibling() const {
    return std::make_unique<GnnEngine>(sibling_run(*run_, *provider_), provider_, 0);
  }

  const GnnModel& model() const { return *run_->model; }
  const std::shared_ptr<const GnnModel>& shared_model() const { return run_->model; }
  const std::shared_ptr<const BackendProvider>& provider() const { return provider_; }
  uint32_t model_serial() const { return run_->serial; }
  // The running backend, described for engine.info.
  BackendDescription describe_backend() const { return run_->backend->describe(); }
  int row_width() const { return prediction_row::width(run_->model->embed); }

  // Runs `next` from the next call on and returns the run it replaces, for the caller to free
  // where freeing costs nothing that matters. Swaps two pointers: no lock, no allocation.
  // `next` was built by prepare_model_run for a model check_swappable accepted.
  std::unique_ptr<ModelRun> install(std::unique_ptr<ModelRun> next);

  // Validates the book, runs the model and writes one prediction row (row_width() doubles).
  // Throws hawkgraph::Error for a bad book; `row` is then left untouched.
  void predict(const BookView& book, double* row);

  // Validates every book first (a bad one throws "books[k]: ..." and nothing is computed), then
  // runs them through the backend's batch path. Writes count rows of row_width() doubles.
  // Batch buffers grow to the largest batch seen and are reused. `order_flows` (optional, the
  // streaming path) gives book k's per-node order flow (2 * levels values); nullptr means 0.
  void predict_batch(const BookView* books, int count, double* rows, const double* const* order_flows = nullptr);
  // The same into struct-of-arrays columns (predictBatch from JS): no rows, and the embedding
  // written straight into out.embedding by the backend, or not at all when it is null.
  void predict_batch(const BookView* books, int count, const PredictionColumns& out);

  // Why the engine does not run on the backend asked for ("" when it does): set at creation, or
  // by a failure mid-run that moved it (the provider decides).
  const std::string& fallback_reason() const { return run_->fallback_reason; }
  // Told of a fallback mid-run, once, after the call that failed has completed (null: nobody).
  void set_fallback_listener(FallbackListener* listener) { listener_ = listener; }

  // The node features the model would see: 2 * levels rows of 8 doubles. Returns levels used.
  int node_features(const BookView& book, double* out) const;

 private:
  std::shared_ptr<const BackendProvider> provider_;
  std::unique_ptr<ModelRun> run_;
  FallbackListener* listener_ = nullptr;
  bool fallback_untold_ = false;
  std::vector<float> embedding_;
  // Batch arenas, grown on demand.
  std::vector<int> batch_levels_;
  std::vector<ForwardOutput> batch_outputs_;
  std::vector<float> batch_embeddings_;

  // Validates the books and runs them, leaving raw outputs in batch_outputs_ and levels used in
  // batch_levels_. Embeddings go to `embeddings` + k * E, or nowhere when it is null.
  void run_batch(const BookView* books, int count, const double* const* order_flows, float* embeddings);
  void run_batch_once(const BookView* books, int count, const double* const* order_flows);
  // Stages books [first, first + count) into slots 0 .. count - 1, validating each first when
  // `validate`, on host_pool_ when there is one. A bad book throws its error, named books[k].
  void stage_books(const BookView* books, int first, int count, const double* const* order_flows, bool validate);
  // Fills one prediction row from the raw outputs.
  void write_row(const ForwardOutput& out, int levels, double* row) const;
  // Asks the provider for a backend to continue on after `failure`; false: rethrow it.
  bool recover(const Error& failure);
  // Tells the listener of a fallback once the call that caused it is complete.
  void tell_fallback();
};

}  // namespace hawkgraph
