#pragma once
#include <napi.h>

namespace softnewton::binding {
// For tests and measurements of the sketches (docs/math.md §4); the solver calls the core directly.
Napi::Value SketchSpectrum(const Napi::CallbackInfo& info);
Napi::Value SketchGram(const Napi::CallbackInfo& info);
Napi::Value SketchRowsForEpsilon(const Napi::CallbackInfo& info);
Napi::Value PreconditionerCostsOf(const Napi::CallbackInfo& info);
Napi::Value PricePreconditioner(const Napi::CallbackInfo& info);
}  // namespace softnewton::binding
