// The JS-facing GnnEngine class: argument translation only; the math lives in core/, the backend
// choice and the fallback rule in backends/registry.hpp.
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "../core/gnn_engine.hpp"

namespace hawkgraph::addon {

// A model loaded and checked for a swap, with the runs built for it (one for the engine, one for
// its stream when it has one), held by JS as an External until installModel / offerModel take them.
struct PreparedModel {
  std::shared_ptr<const GnnModel> model;
  std::string id;    // SHA-256 of the file's bytes
  std::string name;  // metadata "name", or ""
  uint32_t serial = 0;
  std::vector<std::unique_ptr<ModelRun>> runs;

  // The next run, or ERR_INTERNAL when none is left.
  std::unique_ptr<ModelRun> take_run();
};

// Frees runs (a list linked through retired_next) on the background thread: a backend's teardown
// (its buffers, a CUDA device's memory and graphs) then costs the JS thread nothing.
void free_runs_off_thread(ModelRun* runs);

class EngineWrap : public Napi::ObjectWrap<EngineWrap>, private FallbackListener {
 public:
  static Napi::Function define(Napi::Env env);
  explicit EngineWrap(const Napi::CallbackInfo& info);

  // The engine, or ERR_ENGINE_CLOSED: the stream (stream_wrap) builds its sibling from it.
  GnnEngine& engine(Napi::Env env);

 private:
  Napi::Value info(const Napi::CallbackInfo& info);
  Napi::Value predict(const Napi::CallbackInfo& info);
  Napi::Value predict_batch(const Napi::CallbackInfo& info);
  Napi::Value node_features(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value prepare_model(const Napi::CallbackInfo& info);
  Napi::Value install_model(const Napi::CallbackInfo& info);

  // The engine moved to another backend mid-call (and has completed the call there): lib/'s hook.
  void on_fallback(const std::string& reason) override;

  std::unique_ptr<GnnEngine> engine_;
  // The running model's id and name (engine_ knows its serial), and the serial the next swap gets.
  std::string model_id_, model_name_;
  uint32_t next_serial_ = 2;
  // Book views of predictBatch's packed columns, grown to the largest batch seen and reused.
  std::vector<BookView> batch_views_;
  Napi::FunctionReference on_fallback_;
};

}  // namespace hawkgraph::addon
