// The JS-facing GnnEngine class: argument translation only; the math lives in core/.
#pragma once

#include <napi.h>

#include <memory>

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

  std::unique_ptr<GnnEngine> engine_;
};

}  // namespace hawkgraph::addon
