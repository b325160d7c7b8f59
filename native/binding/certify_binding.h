#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

namespace softnewton::binding {
// The eigenvalues of a symmetric d × d matrix (column-major, upper triangle read; overwritten),
// ascending in w. False when the iteration did not converge.
bool symmetricSpectrum(int64_t d, std::vector<double>& a, std::vector<double>& w);
// The eigenvalues λ of a v = λ b v, b symmetric positive definite (both overwritten), ascending in w.
enum class PencilStatus { Ok, NotDefinite, NoConvergence };
PencilStatus pencilSpectrum(int64_t d, std::vector<double>& a, std::vector<double>& b, std::vector<double>& w);

// Dense d × d helpers for `certify` (src/certify/): eigenvalues and weighted Gram matrices.
Napi::Value SymmetricEigenvalues(const Napi::CallbackInfo& info);
Napi::Value GeneralizedEigenvalues(const Napi::CallbackInfo& info);
Napi::Value WeightedGram(const Napi::CallbackInfo& info);
}  // namespace softnewton::binding
