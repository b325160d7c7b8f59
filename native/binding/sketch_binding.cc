// The sketches seen from JavaScript, to test and measure them: M̃ itself, and its spectral error
// against the exact M as the extreme generalized eigenvalues of M̃ v = λ M v ((1 − ε)M ⪯ M̃ ⪯
// (1 + ε)M exactly when every λ lies in [1 − ε, 1 + ε]).
#include "binding/sketch_binding.h"

#include <lapacke.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "binding/certify_binding.h"
#include "binding/convert.h"
#include "binding/problem_handle.h"
#include "core/limits.h"
#include "core/linalg.h"
#include "core/sketch/sketch.h"

namespace softnewton::binding {

namespace {

struct Request {
  const Objective* objective = nullptr;
  Point at;
  SketchOptions options;
  bool absolute = false;  // sketchSpectrum: measure against Cᵀ|D|C instead of M
};

Request parseRequest(const Napi::CallbackInfo& info, bool spectrum) {
  Napi::Env env = info.Env();
  Request r;
  if (info.Length() < 1) fail(env, "problem: is required");
  ProblemHandle& handle = unwrapProblem(env, info[0], "problem");
  r.objective = &handle.objective(env);
  const int64_t d = r.objective->dim();
  if (info.Length() < 2) fail(env, "x: is required");
  auto x = requireFloat64Array(env, info[1], "x", d);
  for (int64_t j = 0; j < d; ++j)
    if (!std::isfinite(x.Data()[j])) fail(env, "x: must be finite (entry " + std::to_string(j) + ")");

  Napi::Object o = Napi::Object::New(env);
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsObject()) fail(env, "options: expected an object");
    o = info[2].As<Napi::Object>();
  }
  const std::string kind = o.Get("kind").IsUndefined() ? "auto" : requireString(o, "kind");
  if (!parseSketchKind(kind, &r.options.kind))
    fail(env, "kind: unknown sketch '" + kind + "' (expected auto, none, leverage, countsketch, osnap or uniform)");
  // Range checks that depend on the kind (k ≥ 1, s ≤ k) are the core's, so that every caller gets them.
  if (!o.Get("rows").IsUndefined()) r.options.rows = requireCount(o, "rows", 0, (int64_t{1} << 53) - 1);
  if (!o.Get("seed").IsUndefined()) r.options.seed = requireSeed(o, "seed");
  if (!o.Get("osnapNonzeros").IsUndefined())
    r.options.osnapNonzeros = static_cast<int>(requireCount(o, "osnapNonzeros", 1, limits::kMaxOsnapNonzeros));
  if (!o.Get("threads").IsUndefined()) r.options.threads = static_cast<int>(requireCount(o, "threads", 1, kMaxThreads));
  if (!o.Get("cancel").IsUndefined()) {
    // Read during this (synchronous) call only; the argument keeps the array alive meanwhile.
    auto cancel = requireInt32Array(env, o.Get("cancel"), "cancel", 1);
    r.options.cancelFlag = cancel.Data();
  }
  if (spectrum && !o.Get("relativeTo").IsUndefined()) {
    const std::string to = requireString(o, "relativeTo");
    if (to != "signed" && to != "absolute") fail(env, "relativeTo: expected 'signed' or 'absolute', got '" + to + "'");
    r.absolute = to == "absolute";
  }

  const std::string problem = r.objective->evaluate(x.Data(), r.at, Order::Hessian);
  if (!problem.empty()) throw Napi::RangeError::New(env, "x: " + problem);
  return r;
}

SketchReport sketch(Napi::Env env, const Request& r, double* m) {
  try {
    return sketchGram(r.objective->matrix(), r.at.terms.D.data(), r.options, m);
  } catch (const std::invalid_argument& e) {
    fail(env, e.what());
  } catch (const PassCancelled& e) {
    throw Napi::Error::New(env, e.what());
  }
}

Napi::Object reportObject(Napi::Env env, const SketchReport& report) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", sketchName(report.kind));
  o.Set("rows", static_cast<double>(report.rows));
  o.Set("negativeRows", static_cast<double>(report.negativeRows));
  o.Set("negativePart", report.negativePart);
  return o;
}

}  // namespace

// sketchGram(problem, x, {kind, rows, seed, osnapNonzeros, threads, cancel}) → {gram: d × d (symmetric), report}
Napi::Value SketchGram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Request r = parseRequest(info, false);
  const int64_t d = r.objective->dim();
  auto gram = Napi::Float64Array::New(env, d * d);
  std::memset(gram.Data(), 0, sizeof(double) * d * d);
  const SketchReport report = sketch(env, r, gram.Data());
  symmetrize(d, gram.Data());
  Napi::Object out = Napi::Object::New(env);
  out.Set("gram", gram);
  out.Set("report", reportObject(env, report));
  return out;
}

// sketchSpectrum(problem, x, {kind, rows, seed, osnapNonzeros, relativeTo}) → {minEig, maxEig, report}.
// relativeTo 'absolute' measures M̃ − M against P = Cᵀ|D|C (the eigenvalues of
// (M̃ − M + P) v = λ P v): the bound a sketch of D = D⁺ − D⁻ can promise (docs/math.md §4).
Napi::Value SketchSpectrum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Request r = parseRequest(info, true);
  const MatrixView& c = r.objective->matrix();
  const int64_t n = c.rows, d = c.cols;
  const std::vector<double>& D = r.at.terms.D;

  std::vector<double> approx(d * d, 0.0), exact(d * d, 0.0);
  const SketchReport report = sketch(env, r, approx.data());
  accumulateGram(c, D.data(), nullptr, n, exact.data());
  std::vector<double> reference = exact;
  if (r.absolute) {
    std::vector<double> magnitude(n);
    for (int64_t i = 0; i < n; ++i) magnitude[i] = std::fabs(D[i]);
    std::fill(reference.begin(), reference.end(), 0.0);
    accumulateGram(c, magnitude.data(), nullptr, n, reference.data());
    for (int64_t p = 0; p < d * d; ++p) approx[p] += reference[p] - exact[p];
  }
  // The eigenvalues of the pencil (approx, reference), through certify's one route (certify_binding.h).
  std::vector<double> eigenvalues;
  const PencilStatus status = pencilSpectrum(d, approx, reference, eigenvalues);
  if (status == PencilStatus::NotDefinite)
    throw Napi::RangeError::New(env, r.absolute ? "x: Cᵀ|D|C is not positive definite" : "x: M is not positive definite");
  if (status == PencilStatus::NoConvergence)
    throw Napi::RangeError::New(env, "x: the eigenvalues of the sketch did not converge");
  Napi::Object out = Napi::Object::New(env);
  out.Set("minEig", eigenvalues.front());
  out.Set("maxEig", eigenvalues.back());
  out.Set("report", reportObject(env, report));
  return out;
}

// sketchRowsForEpsilon(rows, cols, epsilon) → k, the documented sketch size for spectral error ε₀.
Napi::Value SketchRowsForEpsilon(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const char* names[] = {"rows", "cols", "epsilon"};
  for (size_t a = 0; a < 3; ++a) o.Set(names[a], a < info.Length() ? info[a] : env.Undefined());
  const int64_t rows = requireCount(o, "rows", 0, (int64_t{1} << 53) - 1);
  const int64_t cols = requireCount(o, "cols", 1, INT32_MAX);
  const double epsilon = requireNumber(o, "epsilon");
  try {
    return Napi::Number::New(env, static_cast<double>(sketchRowsForEpsilon(rows, cols, epsilon)));
  } catch (const std::invalid_argument& e) {
    fail(env, e.what());
  }
}

// preconditionerCosts(problem, rows?) → {rows, exact, sketch, choice, pass, gram}: what `auto`
// weighs for newton-pcg (core/sketch/sketch.h), with newton-pcg's default k unless rows is given,
// and the work it priced.
Napi::Value PreconditionerCostsOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) fail(env, "problem: is required");
  const MatrixView& c = unwrapProblem(env, info[0], "problem").objective(env).matrix();
  Napi::Object o = Napi::Object::New(env);
  o.Set("rows", info.Length() > 1 ? info[1] : env.Undefined());
  const int64_t k = o.Get("rows").IsUndefined() ? preconditionerRows(c.rows, c.cols, static_cast<double>(c.nnz()))
                                                : requireCount(o, "rows", 1, INT32_MAX);
  const PreconditionerWork work = preconditionerWork(c);
  const PreconditionerCosts costs = pricePreconditioner(work, c.cols, k);
  Napi::Object out = Napi::Object::New(env);
  out.Set("rows", static_cast<double>(k));
  out.Set("exact", costs.exact);
  out.Set("sketch", costs.sketch);
  out.Set("choice", sketchName(costs.choice));
  out.Set("pass", work.pass);
  out.Set("gram", work.gram);
  return out;
}

// pricePreconditioner(pass, gram, cols, rows) → {exact, sketch, choice}: the same prices for work
// given as numbers (a distributed solve's average rank).
Napi::Value PricePreconditioner(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  const char* names[] = {"pass", "gram", "cols", "rows"};
  for (size_t a = 0; a < 4; ++a) o.Set(names[a], a < info.Length() ? info[a] : env.Undefined());
  PreconditionerWork work;
  work.pass = requireNumber(o, "pass");
  work.gram = requireNumber(o, "gram");
  if (!(work.pass >= 0.0) || !std::isfinite(work.pass)) fail(env, "pass: must be a finite number >= 0");
  if (!(work.gram >= 0.0) || !std::isfinite(work.gram)) fail(env, "gram: must be a finite number >= 0");
  const int64_t cols = requireCount(o, "cols", 1, INT32_MAX);
  const int64_t k = requireCount(o, "rows", 1, INT32_MAX);
  const PreconditionerCosts costs = pricePreconditioner(work, cols, k);
  Napi::Object out = Napi::Object::New(env);
  out.Set("exact", costs.exact);
  out.Set("sketch", costs.sketch);
  out.Set("choice", sketchName(costs.choice));
  return out;
}

}  // namespace softnewton::binding
