// Module entry: registers the engine class, the runtime report and constants(). Context-aware: each
// environment (main thread, worker) gets its own AddonState.
#include <napi.h>

#include "../backends/registry.hpp"
#include "../core/cpu_features.hpp"
#include "addon_state.hpp"
#include "constants_wrap.hpp"
#include "engine_wrap.hpp"
#include "backtest_wrap.hpp"
#include "depth_wrap.hpp"
#include "sac_wrap.hpp"
#include "hawkes_gof_wrap.hpp"
#include "hawkes_wrap.hpp"
#include "js_errors.hpp"
#include "js_views.hpp"
#include "shadow_wrap.hpp"
#include "stream_wrap.hpp"

namespace hawkgraph::addon {
namespace {

// lib/ hands over HawkgraphError once at load so native code throws the class users catch.
Napi::Value set_error_class(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) {
    throw Napi::TypeError::New(info.Env(), "setErrorClass expects a constructor");
  }
  state(info.Env()).error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Object cpu_report(Napi::Env env) {
  const CpuFeatures& f = cpu_features();
  Napi::Object cpu = Napi::Object::New(env);
  cpu.Set("arch", f.arch);
  cpu.Set("model", f.model);
  Napi::Object flags = Napi::Object::New(env);
  flags.Set("sse42", f.sse42);
  flags.Set("avx", f.avx);
  flags.Set("avx2", f.avx2);
  flags.Set("fma", f.fma);
  flags.Set("f16c", f.f16c);
  flags.Set("avx512f", f.avx512f);
  flags.Set("avx512dq", f.avx512dq);
  flags.Set("avx512bw", f.avx512bw);
  flags.Set("avx512vl", f.avx512vl);
  flags.Set("avx512fp16", f.avx512fp16);
  flags.Set("avx512bf16", f.avx512bf16);
  flags.Set("sha", f.sha);
  cpu.Set("features", flags);
  return cpu;
}

Napi::Object cuda_report(Napi::Env env) {
  const cuda::RuntimeInfo rt = backends::cuda_runtime();
  Napi::Object o = Napi::Object::New(env);
  o.Set("compiled", rt.compiled);
  o.Set("runtimeVersion", rt.runtime_version);
  o.Set("driverVersion", rt.driver_version);
  o.Set("status", rt.status);
  Napi::Array devices = Napi::Array::New(env, rt.devices.size());
  for (size_t i = 0; i < rt.devices.size(); ++i) {
    const cuda::DeviceInfo& d = rt.devices[i];
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("index", d.index);
    dev.Set("name", d.name);
    dev.Set("computeCapability", std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor));
    dev.Set("totalMemory", static_cast<double>(d.total_memory));
    dev.Set("multiprocessors", d.multiprocessors);
    devices.Set(i, dev);
  }
  o.Set("devices", devices);
  return o;
}

Napi::Value runtime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    Napi::Object o = Napi::Object::New(env);
    o.Set("napiVersion", NAPI_VERSION);
    o.Set("cpu", cpu_report(env));
    o.Set("cuda", cuda_report(env));
    return o;
  });
}

// cudaAxpy(a, x: Float32Array, y: Float32Array): y = a x + y on the device, for the CUDA tests.
Napi::Value cuda_axpy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    const double a = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.0;
    auto x = float32_view(info[1], "x");
    auto y = float32_view(info[2], "y");
    if (x.length != y.length || x.length > (1u << 30)) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "x and y must have the same length");
    }
    backends::cuda_axpy(static_cast<float>(a), x.data, y.data, static_cast<int>(x.length));
  });
  return env.Undefined();
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* s = new AddonState();
  env.SetInstanceData(s);
  Napi::Function engine = EngineWrap::define(env);
  s->engine_constructor = Napi::Persistent(engine);
  exports.Set("GnnEngine", engine);
  Napi::Function stream = StreamWrap::define(env);
  state(env).stream_constructor = Napi::Persistent(stream);
  exports.Set("BookStream", stream);
  exports.Set("Shadow", ShadowWrap::define(env));
  exports.Set("setErrorClass", Napi::Function::New(env, set_error_class, "setErrorClass"));
  exports.Set("runtime", Napi::Function::New(env, runtime, "runtime"));
  exports.Set("cudaAxpy", Napi::Function::New(env, cuda_axpy, "cudaAxpy"));
  register_hawkes(env, exports);
  register_hawkes_gof(env, exports);
  register_backtest(env, exports);
  register_depth(env, exports);
  register_sac(env, exports);
  register_constants(env, exports);
  return exports;
}

}  // namespace
}  // namespace hawkgraph::addon

static Napi::Object hawkgraph_init(Napi::Env env, Napi::Object exports) {
  return hawkgraph::addon::init(env, exports);
}

NODE_API_MODULE(hawkgraph, hawkgraph_init)
