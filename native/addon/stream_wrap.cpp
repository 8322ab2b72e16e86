#include "stream_wrap.hpp"

#include <cmath>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

#include "../core/error.hpp"
#include "../core/layouts.hpp"
#include "../core/limits.hpp"
#include "addon_state.hpp"
#include "../core/stream/drift.hpp"
#include "engine_wrap.hpp"
#include "js_call.hpp"
#include "js_errors.hpp"
#include "shadow_wrap.hpp"
#include "js_views.hpp"

namespace hawkgraph::addon {
namespace {


// process.exit() does not run environment cleanup hooks, so every live stream is also listed
// here and stopped at exit, before static destructors run under a still-working thread.
// Leaked on purpose: it must outlive every other static.
struct LiveStreams {
  std::mutex mu;
  std::set<stream::Stoppable*> streams;
};

LiveStreams& live_streams() {
  static LiveStreams* live = [] {
    auto* l = new LiveStreams();
    std::atexit([] {
      LiveStreams& all = live_streams();
      std::lock_guard<std::mutex> lock(all.mu);
      for (stream::Stoppable* s : all.streams) s->stop_and_join();
    });
    return l;
  }();
  return *live;
}

}  // namespace

void live_threads_add(stream::Stoppable* thread) {
  LiveStreams& live = live_streams();
  std::lock_guard<std::mutex> lock(live.mu);
  live.streams.insert(thread);
}

void live_threads_remove(stream::Stoppable* thread) {
  LiveStreams& live = live_streams();
  std::lock_guard<std::mutex> lock(live.mu);
  live.streams.erase(thread);
}

Napi::Function StreamWrap::define(Napi::Env env) {
  return DefineClass(env, "BookStream",
                     {InstanceMethod<&StreamWrap::submit>("submit"),
                      InstanceMethod<&StreamWrap::close>("close"),
                      InstanceMethod<&StreamWrap::counters>("counters"),
                      InstanceMethod<&StreamWrap::offer_model>("offerModel"),
                      InstanceMethod<&StreamWrap::offer_model_b>("offerModelB"),
                      InstanceMethod<&StreamWrap::route_symbol>("routeSymbol"),
                      InstanceMethod<&StreamWrap::set_share_b>("setShareB"),
                      InstanceMethod<&StreamWrap::feature_drift>("featureDrift")});
}

// new BookStream(engine, maxBatch, maxWaitUs, maxSymbols, dispatch(count, dispatchNs, errCode?, errMessage?),
//                onFinish(), inbox: Float64Array[maxBatch * recordWidth], submitOut: Float64Array[1], spinUs,
//                driftWindowBooks (0: no drift histograms))
StreamWrap::StreamWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StreamWrap>(info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(state(env).engine_constructor.Value())) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "engine must be a native GnnEngine");
    }
    GnnEngine& engine = EngineWrap::Unwrap(info[0].As<Napi::Object>())->engine(env);
    stream::StreamConfig config;
    using namespace limits;
    config.max_batch = int_arg(info[1], "maxBatch", kStreamMaxBatch.min, kStreamMaxBatch.max);
    config.max_wait_us = int_arg(info[2], "maxWaitUs", kStreamMaxWaitUs.min, kStreamMaxWaitUs.max);
    config.max_symbols = int_arg(info[3], "maxSymbols", kStreamMaxSymbols.min, kStreamMaxSymbols.max);
    config.spin_us = int_arg(info[8], "spinUs", kStreamSpinUs.min, kStreamSpinUs.max);
    config.order_flow = stream::model_uses_order_flow(engine.model());
    const int drift_window = int_arg(info[9], "driftWindowBooks", 0, kDriftWindowBooks.max);
    if (drift_window > 0 && drift_window < kDriftWindowBooks.min) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "driftWindowBooks must be 0 or at least " + std::to_string(kDriftWindowBooks.min));
    }
    // Before anything needs undoing: a model whose feature_stats cannot be read is refused here.
    std::unique_ptr<stream::DriftMonitor> drift;
    if (drift_window > 0) {
      std::vector<stream::FeatureReference> reference = stream::drift_reference(engine.model());
      if (!reference.empty()) drift = std::make_unique<stream::DriftMonitor>(std::move(reference), engine.model().levels, drift_window);
    }
    provider_ = engine.provider();
    if (!info[4].IsFunction() || !info[5].IsFunction()) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "dispatch and onFinish must be functions");
    }
    auto inbox = float64_view(info[6], "inbox");
    auto submit_out = float64_view(info[7], "submitOut");
    if (inbox.length < static_cast<size_t>(config.max_batch) * stream::record::kWidth ||
        submit_out.length < stream::submit_out::kWidth) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "inbox or submitOut is too small");
    }
    // Holding the arrays keeps their (non-resizable, never moved) backing stores alive.
    inbox_ref_ = Napi::Persistent(info[6].As<Napi::Float64Array>());
    submit_out_ref_ = Napi::Persistent(info[7].As<Napi::Float64Array>());
    inbox_ = inbox.data;
    inbox_length_ = inbox.length;
    submit_out_ = submit_out.data;
    on_finish_ = Napi::Persistent(info[5].As<Napi::Function>());

    // The core first: it is what can still throw (allocation, the thread), and nothing else is
    // built yet to undo. Its thread delivers only after a submit or close, so never before the
    // thread-safe function exists.
    core_ = std::make_unique<stream::BookStream>(engine.sibling(), config, [this](stream::ResultBlock* block) {
      return tsfn_.NonBlockingCall(block != nullptr ? block : &finish_marker_) == napi_ok;
    }, std::move(drift));
    try {
      tsfn_ = Tsfn::New(env, info[4].As<Napi::Function>(), "hawkgraph.stream", 0, 1, this);
    } catch (...) {
      core_.reset();  // stops and joins its thread, which has delivered nothing
      throw;
    }
    tsfn_live_ = true;
    // An idle stream never keeps the process alive; books on their way to JS (and a draining
    // close()) do, for the milliseconds they take (see hold/let_go).
    tsfn_.Unref(env);
    // Registered after the thread-safe function, so it runs first at teardown (hooks run in
    // reverse order): the thread is joined before Node tears the function down.
    napi_add_env_cleanup_hook(env, &StreamWrap::env_cleanup, this);
    cleanup_hook_ = true;
    live_threads_add(core_.get());
  });
}

StreamWrap::~StreamWrap() {
  destroy_core();
  if (cleanup_hook_) {
    napi_remove_env_cleanup_hook(Env(), &StreamWrap::env_cleanup, this);
    cleanup_hook_ = false;
  }
}

void StreamWrap::destroy_core() {
  if (!core_) return;
  live_threads_remove(core_.get());
  core_->stop_and_join();
  for (ShadowWrap* shadow : shadows_) shadow->stream_gone();
  shadows_.clear();
  core_.reset();
}

void StreamWrap::attach(Napi::Env env, ShadowWrap* wrap, stream::ShadowRunner* runner) {
  core(env).attach_shadow(runner);
  shadows_.insert(wrap);
}

void StreamWrap::detach(ShadowWrap* wrap, stream::ShadowRunner* runner) {
  if (core_) core_->detach_shadow(runner);
  shadows_.erase(wrap);
}

void StreamWrap::env_cleanup(void* arg) {
  auto* self = static_cast<StreamWrap*>(arg);
  self->cleanup_hook_ = false;
  self->destroy_core();
}

stream::BookStream& StreamWrap::core(Napi::Env env) {
  if (!core_) throw make_error(env, "ERR_ENGINE_CLOSED", "engine is closed");
  return *core_;
}

// submit(symbol, bidPx, bidSz, nb, askPx, askSz, na, ts) -> seq; submitOut[0] = superseded seq or 0.
Napi::Value StreamWrap::submit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    stream::BookStream& s = core(env);
    const int32_t symbol = int_arg(info[0], "symbol", 0, s.config().max_symbols - 1);
    const BookView book = book_args(info, 1);
    const double ts = info[7].IsNumber() ? info[7].As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(ts)) throw make_error(env, "ERR_INVALID_ARGUMENT", "ts must be a finite number");
    uint64_t superseded = 0;
    const uint64_t seq = s.submit(symbol, book, ts, &superseded);
    submit_out_[stream::submit_out::kSuperseded] = static_cast<double>(superseded);
    // A superseding book replaces one already counted.
    if (superseded == 0 && outstanding_++ == 0) hold(env);
    return Napi::Number::New(env, static_cast<double>(seq));
  });
}

// close(drain) -> Float64Array of [symbol, seq] pairs discarded (empty when draining). The
// thread then finishes; onFinish() runs on the JS thread after its last block was dispatched.
Napi::Value StreamWrap::close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    stream::BookStream& s = core(env);
    const bool drain = info[0].ToBoolean();
    std::vector<stream::DroppedBook> discarded;
    s.begin_close(drain, &discarded);
    // Keep the loop alive until the last events are out: the caller awaits them.
    closing_ = true;
    outstanding_ -= std::min<uint64_t>(outstanding_, discarded.size());
    hold(env);
    namespace d = stream::discarded;
    auto out = Napi::Float64Array::New(env, d::kWidth * discarded.size());
    for (size_t k = 0; k < discarded.size(); ++k) {
      out[d::kWidth * k + d::kSymbol] = discarded[k].symbol;
      out[d::kWidth * k + d::kSeq] = static_cast<double>(discarded[k].seq);
    }
    return out;
  });
}

// counters(out: Float64Array[8]): submitted, superseded, discarded, queued, inFlight, inDelivery,
// released, batches. After the stream finished, the final values stay readable.
Napi::Value StreamWrap::counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    namespace n = stream::counter;
    auto out = float64_view(info[0], "out");
    if (out.length < static_cast<size_t>(n::kWidth)) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "out must hold " + std::to_string(n::kWidth) + " values");
    }
    const stream::StreamCounters c = core_ ? core_->counters() : final_counters_;
    double* v = out.data;
    v[n::kSubmitted] = static_cast<double>(c.submitted);
    v[n::kSuperseded] = static_cast<double>(c.superseded);
    v[n::kDiscarded] = static_cast<double>(c.discarded);
    v[n::kQueued] = static_cast<double>(c.queued);
    v[n::kInFlight] = static_cast<double>(c.in_flight);
    v[n::kInDelivery] = static_cast<double>(c.in_delivery);
    v[n::kReleased] = static_cast<double>(c.released);
    v[n::kBatches] = static_cast<double>(c.batches);
  });
  return env.Undefined();
}

// offerModel(handle): the stream thread runs the prepared model from its next batch on.
Napi::Value StreamWrap::offer_model(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    stream::BookStream& s = core(env);
    if (!info[0].IsExternal()) throw make_error(env, "ERR_INVALID_ARGUMENT", "handle must come from prepareModel");
    s.offer(info[0].As<Napi::External<PreparedModel>>().Data()->take_run());
    free_runs_off_thread(s.take_retired());
  });
  return env.Undefined();
}

// offerModelB(handle): the A/B split's model B, from the stream thread's next batch on (its first
// model, or a swap of it).
Napi::Value StreamWrap::offer_model_b(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    stream::BookStream& s = core(env);
    if (!info[0].IsExternal()) throw make_error(env, "ERR_INVALID_ARGUMENT", "handle must come from prepareModel");
    std::unique_ptr<ModelRun> run = info[0].As<Napi::External<PreparedModel>>().Data()->take_run();
    if (s.has_b()) {
      s.offer_b(std::move(run));
    } else {
      s.offer_b_engine(std::make_unique<GnnEngine>(std::move(run), provider_, s.config().max_batch));
    }
    free_runs_off_thread(s.take_retired());
  });
  return env.Undefined();
}

// routeSymbol(symbol, route): the symbol's place in [0, 1) for the A/B split, before its first submit.
Napi::Value StreamWrap::route_symbol(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    stream::BookStream& s = core(env);
    const int32_t symbol = int_arg(info[0], "symbol", 0, s.config().max_symbols - 1);
    const double route = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : NAN;
    if (!(route >= 0 && route < 1)) throw make_error(env, "ERR_INVALID_ARGUMENT", "route must be a number in [0, 1)");
    s.set_route(symbol, route);
  });
  return env.Undefined();
}

// setShareB(share): symbols whose route is below share go to model B (once it has one).
Napi::Value StreamWrap::set_share_b(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    stream::BookStream& s = core(env);
    const double share = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : NAN;
    if (!(share >= 0 && share <= 1)) throw make_error(env, "ERR_INVALID_ARGUMENT", "share must be a number in [0, 1]");
    s.set_share_b(share);
  });
  return env.Undefined();
}

// featureDrift() -> [{ feature, psi, ks, windowBooks, values, bins, actual: Float64Array }] or
// undefined when the stream keeps no drift histograms.
Napi::Value StreamWrap::feature_drift(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const stream::DriftMonitor* drift = core(env).drift();
    if (drift == nullptr) return env.Undefined();
    const std::vector<stream::FeatureDrift> report = drift->report();
    Napi::Array out = Napi::Array::New(env, report.size());
    for (size_t i = 0; i < report.size(); ++i) {
      const stream::FeatureDrift& d = report[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("feature", d.name);
      o.Set("psi", d.psi);
      o.Set("ks", d.ks);
      o.Set("windowBooks", static_cast<double>(d.window_books));
      o.Set("values", static_cast<double>(d.values));
      o.Set("bins", d.source == stream::BinSource::Histogram   ? "histogram"
                    : d.source == stream::BinSource::Quantiles ? "quantiles"
                                                               : "normal");
      auto actual = Napi::Float64Array::New(env, d.actual.size());
      std::copy(d.actual.begin(), d.actual.end(), actual.Data());
      o.Set("actual", actual);
      out.Set(i, o);
    }
    return out;
  });
}

void StreamWrap::hold(Napi::Env env) {
  if (!referenced_ && tsfn_live_) {
    tsfn_.Ref(env);
    referenced_ = true;
  }
}

void StreamWrap::let_go(Napi::Env env) {
  if (referenced_ && !closing_ && tsfn_live_) {
    tsfn_.Unref(env);
    referenced_ = false;
  }
}

void StreamWrap::finish(Napi::Env env) {
  core_->join();
  final_counters_ = core_->counters();
  destroy_core();
  if (tsfn_live_) {
    tsfn_live_ = false;
    tsfn_.Release();
  }
  if (cleanup_hook_) {
    napi_remove_env_cleanup_hook(env, &StreamWrap::env_cleanup, this);
    cleanup_hook_ = false;
  }
  napi_value on_finish = nullptr;
  napi_get_reference_value(env, on_finish_.operator napi_ref(), &on_finish);
  on_finish_.Reset();
  inbox_ref_.Reset();
  submit_out_ref_.Reset();
  inbox_ = submit_out_ = nullptr;
  if (on_finish != nullptr) call_raw(env, on_finish, {});
}


void StreamWrap::call_js(Napi::Env env, Napi::Function dispatch, StreamWrap* self, stream::ResultBlock* block) {
  // A null env: Node is tearing the function down with blocks still queued; the stream that
  // owns them is already stopped (env_cleanup), so there is nothing to hand back.
  if (env == nullptr || self == nullptr || !self->core_) return;
  if (block == &self->finish_marker_) {
    self->finish(env);
  } else {
    self->dispatch_block(env, dispatch, block);
  }
}

void StreamWrap::dispatch_block(Napi::Env env, Napi::Function dispatch, stream::ResultBlock* block) {
  const size_t values = static_cast<size_t>(block->count) * stream::record::kWidth;
  std::memcpy(inbox_, block->records.data(), sizeof(double) * values);
  const int count = block->count;
  const bool failed = block->failed;
  std::string code, message;
  if (failed) {
    code = block->error_code;
    message = block->error_message;
  }
  const double now = static_cast<double>(stream::steady_now_ns());
  // The block goes back before JS runs: its records are in the inbox, and a listener that
  // throws must not strand it.
  core_->release(block);
  free_runs_off_thread(core_->take_retired());
  outstanding_ -= std::min<uint64_t>(outstanding_, static_cast<uint64_t>(count));
  if (outstanding_ == 0) let_go(env);
  if (failed) {
    call_raw(env, dispatch, {js_number(env, count), js_number(env, now), js_string(env, code), js_string(env, message)});
  } else {
    call_raw(env, dispatch, {js_number(env, count), js_number(env, now)});
  }
}

}  // namespace hawkgraph::addon
