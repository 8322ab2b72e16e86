// The JS-facing GnnEngine class: argument translation only; the math lives in core/, the backend
// choice and the fallback rule in backends/registry.hpp.
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "../core/gnn_engine.hpp"

namespace hawkgraph::addon {

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

  // The engine moved to another backend mid-call (and has completed the call there): lib/'s hook.
  void on_fallback(const std::string& reason) override;

  std::unique_ptr<GnnEngine> engine_;
  // Book views of predictBatch's packed columns, grown to the largest batch seen and reused.
  std::vector<BookView> batch_views_;
  Napi::FunctionReference on_fallback_;
};

}  // namespace hawkgraph::addon
