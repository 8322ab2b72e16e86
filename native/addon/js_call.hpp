// Calling JS from a thread-safe function's callback (the streams' and shadows' deliveries)
// through the C API: when JS cannot run (a worker being terminated), a call just fails, where
// node-addon-api would build an Error object and abort doing so.
#pragma once

#include <node_api.h>

#include <initializer_list>
#include <string>

namespace hawkgraph::addon {

// Calls fn(args...) with an undefined receiver; does nothing when a value could not be made
// (null). A JS exception stays pending and Node reports it as uncaught, as for any event listener.
inline void call_raw(napi_env env, napi_value fn, std::initializer_list<napi_value> args) {
  napi_value recv, result;
  if (napi_get_undefined(env, &recv) != napi_ok) return;
  for (napi_value a : args) {
    if (a == nullptr) return;
  }
  napi_call_function(env, recv, fn, args.size(), args.begin(), &result);
}

// A JS number or string, or null when it cannot be made.
inline napi_value js_number(napi_env env, double v) {
  napi_value out = nullptr;
  return napi_create_double(env, v, &out) == napi_ok ? out : nullptr;
}

inline napi_value js_string(napi_env env, const std::string& v) {
  napi_value out = nullptr;
  return napi_create_string_utf8(env, v.data(), v.size(), &out) == napi_ok ? out : nullptr;
}

}  // namespace hawkgraph::addon
