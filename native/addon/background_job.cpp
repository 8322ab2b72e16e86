#include "background_job.hpp"

#include <memory>

#include "../core/thread_pool.hpp"

namespace hawkgraph::addon {
namespace {

struct Task {
  std::function<void()> work;
  std::function<void(Napi::Env)> done;
};

void finish(Napi::Env env, Napi::Function, void*, Task* task) {
  std::unique_ptr<Task> owned(task);
  if (env != nullptr) owned->done(env);
}

using Tsfn = Napi::TypedThreadSafeFunction<void, Task, &finish>;

}  // namespace

void run_in_background_then(Napi::Env env, std::function<void()> work, std::function<void(Napi::Env)> done) {
  Tsfn tsfn = Tsfn::New(env, "hawkgraph.background", 0, 1);
  auto task = std::make_unique<Task>(Task{std::move(work), std::move(done)});
  post_to_background([tsfn, task = task.release()]() mutable {
    task->work();
    if (tsfn.BlockingCall(task) != napi_ok) delete task;  // the environment is going away
    tsfn.Release();
  });
}

}  // namespace hawkgraph::addon
