// The JS-facing GnnEngine class: argument translation only; the math lives in core/.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "../core/gnn_engine.hpp"

namespace hawkgraph::addon {

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
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

  void notify_fallback(Napi::Env env);

  std::unique_ptr<GnnEngine> engine_;
  // Book views of predictBatch's packed columns, grown to the largest batch seen and reused.
  std::vector<BookView> batch_views_;
  // lib/'s hook for a mid-run CUDA -> CPU fallback, and the fallbacks already reported.
  Napi::FunctionReference on_fallback_;
  int seen_fallbacks_ = 0;
};

}  // namespace hawkgraph::addon
