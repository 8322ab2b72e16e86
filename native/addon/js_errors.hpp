// Turning core exceptions into the JS HawkgraphError class that lib/ hands over at load time.
// Every exported entry point runs its body through `guard`, so no C++ exception escapes.
#pragma once

#include <napi.h>

#include <new>
#include <string>

#include "../core/error.hpp"

namespace hawkgraph::addon {

// Builds `new HawkgraphError(code, message)` (or a plain Error with .code before setErrorClass).
Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message);

template <typename Fn>
auto guard(Napi::Env env, Fn&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const Error& e) {
    throw make_error(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw make_error(env, "ERR_OUT_OF_MEMORY", "out of memory");
  } catch (const std::exception& e) {
    throw make_error(env, "ERR_INTERNAL", e.what());
  }
}

}  // namespace hawkgraph::addon
