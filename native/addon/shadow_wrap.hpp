// The JS-facing shadow model (core/stream/shadow_runner.hpp): its thread-safe function carrying
// result blocks to JS, and its place on a stream (the stream's thread feeds it). Translation only.
#pragma once

#include <napi.h>

#include <memory>

#include "../core/stream/shadow_runner.hpp"

namespace hawkgraph::addon {

class StreamWrap;

class ShadowWrap : public Napi::ObjectWrap<ShadowWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit ShadowWrap(const Napi::CallbackInfo& info);
  ~ShadowWrap() override;

  static void call_js(Napi::Env env, Napi::Function dispatch, ShadowWrap* self, stream::ResultBlock* block);

  // Its stream finished (its thread is joined): nothing feeds this shadow any more.
  void stream_gone() { stream_ = nullptr; }

 private:
  using Tsfn = Napi::TypedThreadSafeFunction<ShadowWrap, stream::ResultBlock, &ShadowWrap::call_js>;

  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value counters(const Napi::CallbackInfo& info);

  void dispatch_block(Napi::Env env, Napi::Function dispatch, stream::ResultBlock* block);
  void finish(Napi::Env env);
  void destroy_core();  // detaches from the stream, unregisters, stops, joins, frees
  static void env_cleanup(void* self);

  std::unique_ptr<stream::ShadowRunner> core_;
  stream::ShadowCounters final_counters_;
  StreamWrap* stream_ = nullptr;
  Napi::ObjectReference stream_ref_;  // keeps the stream object alive while this shadow is on it
  Tsfn tsfn_;
  bool tsfn_live_ = false;
  bool cleanup_hook_ = false;
  Napi::FunctionReference on_finish_;
  Napi::Reference<Napi::Float64Array> inbox_ref_;
  double* inbox_ = nullptr;
  stream::ResultBlock finish_marker_;
};

}  // namespace hawkgraph::addon
