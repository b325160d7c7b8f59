// The dense linear algebra behind `certify`: the spectrum of a symmetric matrix (is ∇²L positive
// definite? how far apart are two Hessians?), the spectrum of a symmetric-definite pencil (the
// sketched Hessian against the exact one), and Cᵀ diag(weights) C for any weights (CᵀC for the
// norms of C, Cᵀ|D|C for κ). All O(d³) or O(nnz·d) once per call: certificates, not the solver.
#include "binding/certify_binding.h"

#include <lapacke.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "binding/convert.h"
#include "binding/problem_handle.h"
#include "core/linalg.h"

namespace softnewton::binding {

namespace {

// A d × d symmetric matrix argument (full storage; row- and column-major read the same).
std::vector<double> squareArgument(Napi::Env env, Napi::Value v, const std::string& field, int64_t d) {
  auto a = requireFloat64Array(env, v, field, d * d);
  for (int64_t p = 0; p < d * d; ++p)
    if (!std::isfinite(a.Data()[p])) fail(env, field + ": entry " + std::to_string(p) + " is not finite");
  return std::vector<double>(a.Data(), a.Data() + d * d);
}

int64_t dimensionArgument(const Napi::CallbackInfo& info, size_t index) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("d", index < info.Length() ? info[index] : info.Env().Undefined());
  return requireCount(o, "d", 1, 46340);  // d² must fit a lapack_int
}

Napi::Float64Array toArray(Napi::Env env, const std::vector<double>& v) {
  auto out = Napi::Float64Array::New(env, v.size());
  std::memcpy(out.Data(), v.data(), sizeof(double) * v.size());
  return out;
}

}  // namespace

// The one route to each spectrum (dsyevd; dsygvd, which factors b by Cholesky, reduces with dsygst
// and calls dsyevd): every eigenvalue the addon reports comes through these two.
bool symmetricSpectrum(int64_t d, std::vector<double>& a, std::vector<double>& w) {
  w.resize(d);
  const lapack_int n = static_cast<lapack_int>(d);
  return LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', n, a.data(), n, w.data()) == 0;
}

PencilStatus pencilSpectrum(int64_t d, std::vector<double>& a, std::vector<double>& b, std::vector<double>& w) {
  w.resize(d);
  const lapack_int n = static_cast<lapack_int>(d);
  const lapack_int status = LAPACKE_dsygvd(LAPACK_COL_MAJOR, 1, 'N', 'U', n, a.data(), n, b.data(), n, w.data());
  if (status == 0) return PencilStatus::Ok;
  return status > n ? PencilStatus::NotDefinite : PencilStatus::NoConvergence;
}

// symmetricEigenvalues(m, d) → the d eigenvalues of the symmetric d × d matrix m, ascending.
Napi::Value SymmetricEigenvalues(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t d = dimensionArgument(info, 1);
  std::vector<double> a = squareArgument(env, info.Length() > 0 ? info[0] : env.Undefined(), "m", d);
  std::vector<double> w;
  if (!symmetricSpectrum(d, a, w)) throw Napi::RangeError::New(env, "m: the eigenvalue iteration did not converge");
  return toArray(env, w);
}

// generalizedEigenvalues(a, b, d) → the eigenvalues λ of a v = λ b v, ascending, for symmetric a and
// symmetric positive definite b (a RangeError when b is not).
Napi::Value GeneralizedEigenvalues(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t d = dimensionArgument(info, 2);
  std::vector<double> a = squareArgument(env, info.Length() > 0 ? info[0] : env.Undefined(), "a", d);
  std::vector<double> b = squareArgument(env, info.Length() > 1 ? info[1] : env.Undefined(), "b", d);
  std::vector<double> w;
  const PencilStatus status = pencilSpectrum(d, a, b, w);
  if (status == PencilStatus::NotDefinite) throw Napi::RangeError::New(env, "b: is not positive definite");
  if (status == PencilStatus::NoConvergence) throw Napi::RangeError::New(env, "a: the eigenvalue iteration did not converge");
  return toArray(env, w);
}

// weightedGram(problem, weights) → Cᵀ diag(weights) C, d × d (symmetric), with BLAS-3 for dense rows.
Napi::Value WeightedGram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) fail(env, "problem: is required");
  ProblemHandle& handle = unwrapProblem(env, info[0], "problem");
  const Objective& objective = handle.objective(env);
  const MatrixView& c = objective.matrix();
  auto weights = requireFloat64Array(env, info.Length() > 1 ? info[1] : env.Undefined(), "weights", c.rows);
  for (int64_t i = 0; i < c.rows; ++i)
    if (!std::isfinite(weights.Data()[i])) fail(env, "weights: entry " + std::to_string(i) + " is not finite");
  const int64_t d = c.cols;
  if (d > 46340) fail(env, "problem: d = " + std::to_string(d) + " is too large for a dense d × d matrix");
  std::vector<double> m(d * d, 0.0);
  accumulateGram(c, weights.Data(), nullptr, c.rows, m.data());
  symmetrize(d, m.data());
  return toArray(env, m);
}

}  // namespace softnewton::binding
