#include "shadow_wrap.hpp"

#include <cstring>
#include <string>

#include "../core/error.hpp"
#include "../core/layouts.hpp"
#include "../core/limits.hpp"
#include "addon_state.hpp"
#include "engine_wrap.hpp"
#include "js_call.hpp"
#include "js_errors.hpp"
#include "js_views.hpp"
#include "stream_wrap.hpp"

namespace hawkgraph::addon {

Napi::Function ShadowWrap::define(Napi::Env env) {
  return DefineClass(env, "Shadow",
                     {InstanceMethod<&ShadowWrap::close>("close"), InstanceMethod<&ShadowWrap::counters>("counters")});
}

// new Shadow(stream, handle, maxBatch, queueBooks, dispatch(count, dispatchNs, errCode?, errMessage?),
//            onFinish(), inbox: Float64Array[maxBatch * recordWidth], yieldToPrimary: boolean). The handle's model was
// prepared with prepareModel(..., shadow: true); the stream's thread feeds it from its next batch.
ShadowWrap::ShadowWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ShadowWrap>(info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(state(env).stream_constructor.Value())) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "stream must be a native BookStream");
    }
    if (!info[1].IsExternal()) throw make_error(env, "ERR_INVALID_ARGUMENT", "handle must come from prepareModel");
    StreamWrap* owner = StreamWrap::Unwrap(info[0].As<Napi::Object>());
    // Checked before anything is built: attach() below then cannot fail.
    if (!owner->live()) throw make_error(env, "ERR_ENGINE_CLOSED", "engine is closed");
    using namespace limits;
    const int max_batch = int_arg(info[2], "maxBatch", kStreamMaxBatch.min, kStreamMaxBatch.max);
    const int queue_books = int_arg(info[3], "queueBooks", kShadowQueueBooks.min, kShadowQueueBooks.max);
    if (!info[4].IsFunction() || !info[5].IsFunction()) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "dispatch and onFinish must be functions");
    }
    auto inbox = float64_view(info[6], "inbox");
    if (inbox.length < static_cast<size_t>(max_batch) * stream::record::kWidth) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "inbox is too small");
    }
    if (!info[7].IsBoolean()) throw make_error(env, "ERR_INVALID_ARGUMENT", "yieldToPrimary must be a boolean");
    const bool yield_to_primary = info[7].As<Napi::Boolean>().Value();
    auto engine = std::make_unique<GnnEngine>(info[1].As<Napi::External<PreparedModel>>().Data()->take_run(),
                                              owner->provider(), max_batch);
    const bool order_flow = stream::model_uses_order_flow(engine->model());
    inbox_ref_ = Napi::Persistent(info[6].As<Napi::Float64Array>());
    inbox_ = inbox.data;
    on_finish_ = Napi::Persistent(info[5].As<Napi::Function>());
    // The core before the thread-safe function, as for the stream (stream_wrap.cpp): a core that
    // cannot be built leaves nothing behind.
    core_ = std::make_unique<stream::ShadowRunner>(std::move(engine), max_batch, queue_books, order_flow,
                                                   yield_to_primary ? owner->gate() : nullptr, [this](stream::ResultBlock* block) {
                                                     return tsfn_.NonBlockingCall(block != nullptr ? block : &finish_marker_) == napi_ok;
                                                   });
    try {
      tsfn_ = Tsfn::New(env, info[4].As<Napi::Function>(), "hawkgraph.shadow", 0, 1, this);
    } catch (...) {
      core_.reset();
      throw;
    }
    tsfn_live_ = true;
    tsfn_.Unref(env);  // a shadow never keeps the process alive: its stream does, while it has books
    napi_add_env_cleanup_hook(env, &ShadowWrap::env_cleanup, this);
    cleanup_hook_ = true;
    live_threads_add(core_.get());
    owner->attach(env, this, core_.get());
    stream_ = owner;
    stream_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
  });
}

ShadowWrap::~ShadowWrap() {
  destroy_core();
  if (cleanup_hook_) {
    napi_remove_env_cleanup_hook(Env(), &ShadowWrap::env_cleanup, this);
    cleanup_hook_ = false;
  }
}

void ShadowWrap::destroy_core() {
  if (!core_) return;
  if (stream_ != nullptr) stream_->detach(this, core_.get());
  stream_ = nullptr;
  live_threads_remove(core_.get());
  core_->stop_and_join();
  core_.reset();
}

void ShadowWrap::env_cleanup(void* arg) {
  auto* self = static_cast<ShadowWrap*>(arg);
  self->cleanup_hook_ = false;
  self->destroy_core();
}

// close(drain): the stream stops feeding it; its thread predicts (drain) or discards what is
// queued, then onFinish() runs on the JS thread after its last block was dispatched.
Napi::Value ShadowWrap::close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    if (!core_) throw make_error(env, "ERR_ENGINE_CLOSED", "shadow is closed");
    if (stream_ != nullptr) stream_->detach(this, core_.get());
    stream_ = nullptr;
    stream_ref_.Reset();
    tsfn_.Ref(env);  // the caller awaits the last events
    core_->begin_close(info[0].ToBoolean());
  });
  return env.Undefined();
}

// counters(out: Float64Array[7]): offered, dropped, discarded, queued, delivered, failed, batches.
Napi::Value ShadowWrap::counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    namespace n = stream::shadow_counter;
    auto out = float64_view(info[0], "out");
    if (out.length < static_cast<size_t>(n::kWidth)) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "out must hold " + std::to_string(n::kWidth) + " values");
    }
    const stream::ShadowCounters c = core_ ? core_->counters() : final_counters_;
    double* v = out.data;
    v[n::kOffered] = static_cast<double>(c.offered);
    v[n::kDropped] = static_cast<double>(c.dropped);
    v[n::kDiscarded] = static_cast<double>(c.discarded);
    v[n::kQueued] = static_cast<double>(c.queued);
    v[n::kDelivered] = static_cast<double>(c.delivered);
    v[n::kFailed] = static_cast<double>(c.failed);
    v[n::kBatches] = static_cast<double>(c.batches);
  });
  return env.Undefined();
}

void ShadowWrap::call_js(Napi::Env env, Napi::Function dispatch, ShadowWrap* self, stream::ResultBlock* block) {
  if (env == nullptr || self == nullptr || !self->core_) return;
  if (block == &self->finish_marker_) {
    self->finish(env);
  } else {
    self->dispatch_block(env, dispatch, block);
  }
}

void ShadowWrap::dispatch_block(Napi::Env env, Napi::Function dispatch, stream::ResultBlock* block) {
  std::memcpy(inbox_, block->records.data(), sizeof(double) * static_cast<size_t>(block->count) * stream::record::kWidth);
  const int count = block->count;
  const bool failed = block->failed;
  std::string code, message;
  if (failed) {
    code = block->error_code;
    message = block->error_message;
  }
  const double now = static_cast<double>(stream::steady_now_ns());
  core_->release(block);
  if (failed) {
    call_raw(env, dispatch, {js_number(env, count), js_number(env, now), js_string(env, code), js_string(env, message)});
  } else {
    call_raw(env, dispatch, {js_number(env, count), js_number(env, now)});
  }
}

void ShadowWrap::finish(Napi::Env env) {
  core_->join();
  final_counters_ = core_->counters();
  destroy_core();
  if (tsfn_live_) {
    tsfn_live_ = false;
    tsfn_.Release();
  }
  if (cleanup_hook_) {
    napi_remove_env_cleanup_hook(env, &ShadowWrap::env_cleanup, this);
    cleanup_hook_ = false;
  }
  napi_value on_finish = nullptr;
  napi_get_reference_value(env, on_finish_.operator napi_ref(), &on_finish);
  on_finish_.Reset();
  inbox_ref_.Reset();
  inbox_ = nullptr;
  if (on_finish != nullptr) call_raw(env, on_finish, {});
}

}  // namespace hawkgraph::addon
