#include "js_errors.hpp"

#include "addon_state.hpp"

namespace hawkgraph::addon {

Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  AddonState* s = env.GetInstanceData<AddonState>();
  if (s != nullptr && !s->error_class.IsEmpty()) {
    Napi::Object err = s->error_class.New({Napi::String::New(env, code), Napi::String::New(env, message)});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

}  // namespace hawkgraph::addon
