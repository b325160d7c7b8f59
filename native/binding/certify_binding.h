#pragma once
#include <napi.h>

namespace softnewton::binding {
// Dense d × d helpers for `certify` (src/certify.ts): eigenvalues and weighted Gram matrices.
Napi::Value SymmetricEigenvalues(const Napi::CallbackInfo& info);
Napi::Value GeneralizedEigenvalues(const Napi::CallbackInfo& info);
Napi::Value WeightedGram(const Napi::CallbackInfo& info);
}  // namespace softnewton::binding
