// A long native job run off the JS thread with progress and cancellation, as a promise plus a
// cancel() handle: the pattern of hawkesSimulateAsync, generic over the job. A Job provides
//   std::shared_ptr<hawkes::SimulateControl> control;   // cancel flag, paths/events done
//   Result run();                                        // on a libuv pool thread; may throw
//   bool cancelled(const Result&) const;
//   Napi::Value to_js(Napi::Env, Result&);               // on the JS thread
//   double paths_total() const;
// Everything the job needs is validated before it is queued, synchronously.
#pragma once

#include <napi.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "../core/error.hpp"
#include "../core/hawkes/hawkes_simulate.hpp"
#include "js_errors.hpp"

namespace hawkgraph::addon {

// Runs `work` on a pool thread, where no JS exception may be thrown: a failure becomes its stable
// code and message (hawkgraph::Error's own, ERR_OUT_OF_MEMORY, or ERR_INTERNAL), for the JS thread
// to reject with. Returns false when `work` threw.
template <class Work>
bool capture_failure(Work&& work, std::string* code, std::string* message) {
  try {
    work();
    return true;
  } catch (const Error& e) {
    *code = e.code();
    *message = e.what();
  } catch (const std::bad_alloc&) {
    *code = "ERR_OUT_OF_MEMORY";
    *message = "out of memory";
  } catch (const std::exception& e) {
    *code = "ERR_INTERNAL";
    *message = e.what();
  }
  return false;
}

struct JobProgress {
  double paths_done, events_done;
};

template <class Job, class Result>
class JobWorker : public Napi::AsyncProgressWorker<JobProgress> {
 public:
  JobWorker(Napi::Env env, const char* name, std::unique_ptr<Job> job, Napi::Function on_progress, std::string aborted)
      : Napi::AsyncProgressWorker<JobProgress>(env, name),
        job_(std::move(job)),
        deferred_(Napi::Promise::Deferred::New(env)),
        aborted_(std::move(aborted)) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

  // Queues the job and returns { promise, cancel() }; a cancelled job rejects with ERR_ABORTED
  // and `aborted` as the message (lib/ turns it into the signal's reason).
  static Napi::Object start(Napi::Env env, const char* name, std::unique_ptr<Job> job, const Napi::Value& on_progress,
                            std::string aborted) {
    Napi::Function fn = on_progress.IsFunction() ? on_progress.As<Napi::Function>() : Napi::Function();
    auto control = job->control;
    auto* worker = new JobWorker(env, name, std::move(job), fn, std::move(aborted));
    Napi::Object handle = Napi::Object::New(env);
    handle.Set("promise", worker->promise());
    handle.Set("cancel", Napi::Function::New(env, [control](const Napi::CallbackInfo& ci) {
                 control->cancel.store(true);
                 return ci.Env().Undefined();
               }, "cancel"));
    worker->Queue();
    return handle;
  }

 protected:
  void Execute(const ExecutionProgress& progress) override {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::thread reporter([&] {
      std::unique_lock<std::mutex> lock(mutex);
      while (!done_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return done; })) {
        JobProgress p{static_cast<double>(job_->control->paths_done.load()), static_cast<double>(job_->control->events_done.load())};
        progress.Send(&p, 1);
      }
    });
    capture_failure([&] { result_ = job_->run(); }, &code_, &message_);
    {
      std::lock_guard<std::mutex> lock(mutex);
      done = true;
    }
    done_cv.notify_all();
    reporter.join();
  }

  void OnProgress(const JobProgress* data, size_t count) override {
    if (on_progress_.IsEmpty() || count == 0) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Object o = Napi::Object::New(env);
    o.Set("pathsDone", data[count - 1].paths_done);
    o.Set("paths", job_->paths_total());
    o.Set("events", data[count - 1].events_done);
    try {
      on_progress_.Call({o});
    } catch (const Napi::Error&) {
      // A throwing progress listener must not take the job down with it.
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!code_.empty()) {
      deferred_.Reject(make_error(env, code_, message_).Value());
    } else if (job_->cancelled(result_)) {
      deferred_.Reject(make_error(env, "ERR_ABORTED", aborted_).Value());
    } else {
      try {
        deferred_.Resolve(job_->to_js(env, result_));
      } catch (const Napi::Error& e) {
        deferred_.Reject(e.Value());
      }
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::unique_ptr<Job> job_;
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference on_progress_;
  std::string aborted_;
  Result result_;
  std::string code_, message_;
};

}  // namespace hawkgraph::addon
