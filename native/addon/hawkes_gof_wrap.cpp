#include "hawkes_gof_wrap.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "../core/error.hpp"
#include "../core/hawkes/hawkes_model.hpp"
#include "../core/hawkes/hawkes_residuals.hpp"
#include "hawkes_wrap.hpp"
#include "js_errors.hpp"
#include "js_views.hpp"

namespace hawkgraph::addon {
namespace {

double number_arg(const Napi::Value& v) { return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN; }

// hawkesResiduals(mu, alpha, beta, times: F64, types: I32, endTime, startTime) ->
// { residuals: F64[n], tail: F64[D] }. Blocks the calling thread (O(n) work, no allocation per event).
Napi::Value hawkes_residuals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    hawkes::HawkesParams p = params_arg(info, 0);
    // Residuals of any parameters, explosive ones too: a fit may land there, and the test says so.
    hawkes::validate_params(p, true);
    auto times = float64_view(info[3], "times");
    auto types = int32_view(info[4], "types");
    if (times.length != types.length) {
      throw Error("ERR_HAWKES_EVENTS", "times and types must have the same length, got " + std::to_string(times.length) +
                                           " and " + std::to_string(types.length));
    }
    hawkes::HawkesModel model(p);
    const hawkes::Residuals r = hawkes::time_rescaling_residuals(
        model, {times.data, types.data, times.length, number_arg(info[5])}, number_arg(info[6]));
    Napi::Object o = Napi::Object::New(env);
    o.Set("residuals", float64_copy(env, r.residuals));
    o.Set("tail", float64_copy(env, r.tail));
    return o;
  });
}

}  // namespace

void register_hawkes_gof(Napi::Env env, Napi::Object exports) {
  exports.Set("hawkesResiduals", Napi::Function::New(env, hawkes_residuals, "hawkesResiduals"));
}

}  // namespace hawkgraph::addon
