// Work for the core's background thread (core/thread_pool.hpp post_to_background: SCHED_IDLE,
// no libuv pool thread woken) whose end the JS thread hears of: `work` runs there, then `done`
// on the JS thread through a thread-safe function, which keeps the event loop alive meanwhile.
// Why not a Napi::AsyncWorker: its pool thread runs at the stream's priority, and on a 2-core
// machine its wake-up alone can put the event loop's thread behind a computing stream thread.
// Neither function may throw; `done` settles whatever promise the job has. Where the environment
// goes away first, `done` never runs and its captures are destroyed on the background thread, so
// they must hold no JS references (a Promise::Deferred is fine: it is only a handle).
#pragma once

#include <napi.h>

#include <functional>

namespace hawkgraph::addon {

void run_in_background_then(Napi::Env env, std::function<void()> work, std::function<void(Napi::Env)> done);

}  // namespace hawkgraph::addon
