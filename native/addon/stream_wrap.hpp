// The JS-facing BookStream: the core stream (core/stream/book_stream.hpp) plus the thread-safe
// function that carries its result blocks to the JS thread, and the hooks that stop its thread
// when the environment (main thread or worker) or the process goes away.
#pragma once

#include <napi.h>

#include <memory>
#include <set>

#include "../core/stream/book_stream.hpp"
#include "../core/stream/shadow_runner.hpp"

namespace hawkgraph::addon {

class ShadowWrap;

// Native threads stopped and joined at process exit: process.exit() runs no environment cleanup
// hook, and a thread still running under static destructors would crash.
void live_threads_add(stream::Stoppable* thread);
void live_threads_remove(stream::Stoppable* thread);

class StreamWrap : public Napi::ObjectWrap<StreamWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit StreamWrap(const Napi::CallbackInfo& info);
  ~StreamWrap() override;

  static void call_js(Napi::Env env, Napi::Function dispatch, StreamWrap* self, stream::ResultBlock* block);

  // The shadows' side (shadow_wrap): feeding a shadow from this stream's thread, and the provider
  // a shadow's engine continues on. A shadow detaches before it stops; a stream that finishes
  // first tells its shadows (stream_gone).
  void attach(Napi::Env env, ShadowWrap* wrap, stream::ShadowRunner* runner);
  void detach(ShadowWrap* wrap, stream::ShadowRunner* runner);
  const std::shared_ptr<const BackendProvider>& provider() const { return provider_; }
  bool live() const { return core_ != nullptr; }
  // The gate a yielding shadow waits on (live() streams only).
  std::shared_ptr<stream::PrimaryGate> gate() const { return core_->gate(); }

 private:
  using Tsfn = Napi::TypedThreadSafeFunction<StreamWrap, stream::ResultBlock, &StreamWrap::call_js>;

  Napi::Value submit(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value counters(const Napi::CallbackInfo& info);
  Napi::Value offer_model(const Napi::CallbackInfo& info);
  Napi::Value offer_model_b(const Napi::CallbackInfo& info);
  Napi::Value route_symbol(const Napi::CallbackInfo& info);
  Napi::Value set_share_b(const Napi::CallbackInfo& info);
  Napi::Value feature_drift(const Napi::CallbackInfo& info);

  stream::BookStream& core(Napi::Env env);
  void dispatch_block(Napi::Env env, Napi::Function dispatch, stream::ResultBlock* block);
  // Refs the thread-safe function while books are outstanding, unrefs it once none are.
  void hold(Napi::Env env);
  void let_go(Napi::Env env);
  void finish(Napi::Env env);   // the thread has delivered its last block: join, report, free
  void destroy_core();          // unregisters from the exit hooks, stops, joins, frees
  static void env_cleanup(void* self);

  std::unique_ptr<stream::BookStream> core_;
  std::shared_ptr<const BackendProvider> provider_;
  std::set<ShadowWrap*> shadows_;
  stream::StreamCounters final_counters_;  // what counters() reports once the stream is gone
  Tsfn tsfn_;
  bool tsfn_live_ = false;
  bool referenced_ = false;
  bool closing_ = false;
  uint64_t outstanding_ = 0;  // accepted books not yet dispatched to JS (JS thread only)
  bool cleanup_hook_ = false;
  Napi::FunctionReference on_finish_;
  Napi::Reference<Napi::Float64Array> inbox_ref_, submit_out_ref_;
  double* inbox_ = nullptr;
  size_t inbox_length_ = 0;
  double* submit_out_ = nullptr;
  stream::ResultBlock finish_marker_;  // delivered (by address) once the thread has finished
};

}  // namespace hawkgraph::addon
