#include "binding/solve_io.h"

#include <cmath>
#include <cstring>
#include <string>

#include "binding/convert.h"
#include "core/limits.h"
#include "core/parallel.h"

namespace softnewton::binding {

namespace {

Method parseMethod(Napi::Env env, const std::string& name) {
  for (Method m : {Method::ApproxNewton, Method::Newton, Method::NewtonPcg, Method::GradientDescent, Method::Lbfgs})
    if (name == methodName(m)) return m;
  fail(env, "method: unknown method '" + name + "'");
}

SketchKind parseSketch(Napi::Env env, const std::string& name) {
  SketchKind kind;
  if (!parseSketchKind(name, &kind)) fail(env, "sketch: unknown sketch '" + name + "'");
  return kind;
}

}  // namespace

SolverOptions parseSolverOptions(Napi::Env env, const Napi::Object& o) {
  SolverOptions s;
  s.method = parseMethod(env, requireString(o, "method"));
  s.sketch.kind = parseSketch(env, requireString(o, "sketch"));
  s.sketch.rows = requireCount(o, "sketchRows", 0, limits::kMaxSketchRows);
  s.sketch.osnapNonzeros = static_cast<int>(requireCount(o, "osnapNonzeros", 1, limits::kMaxOsnapNonzeros));
  s.threads = static_cast<int>(requireCount(o, "threads", 1, kMaxThreads));
  s.eps0 = requireNumber(o, "eps0");
  if (!(s.eps0 > limits::kEps0Above && s.eps0 < limits::kEps0Below)) fail(env, "eps0: must be in (0, 1)");
  s.tol = requireNumber(o, "tol");
  s.atol = requireNumber(o, "atol");
  s.decrementTol = requireNumber(o, "decrementTol");
  if (s.tol < 0 || s.atol < 0 || s.decrementTol < 0) fail(env, "tol: tolerances must be >= 0");
  s.maxIterations = static_cast<int>(requireCount(o, "maxIter", 0, limits::kMaxIterations));
  s.maxInnerIterations = static_cast<int>(requireCount(o, "maxInner", 1, limits::kMaxInnerIterations));
  s.lbfgsMemory = static_cast<int>(requireCount(o, "lbfgsMemory", 1, limits::kMaxLbfgsMemory));
  s.seed = requireSeed(o, "seed");
  return s;
}

std::vector<double> optionalPoint(Napi::Env env, const Napi::Object& o, const char* field, int64_t d) {
  Napi::Value v = o.Get(field);
  if (v.IsUndefined() || v.IsNull()) return {};
  auto a = requireFloat64Array(env, v, field, d);
  std::vector<double> out(a.Data(), a.Data() + d);
  for (double x : out)
    if (!std::isfinite(x)) fail(env, std::string(field) + ": must be finite");
  return out;
}

MatrixView parseMatrix(Napi::Env env, const Napi::Object& o, const std::function<void(Napi::TypedArray)>& keep) {
  MatrixView c;
  c.rows = requireCount(o, "rows", 0, INT32_MAX - 1);
  c.cols = requireCount(o, "cols", 1, INT32_MAX - 1);
  int64_t indicesLength = 0, valuesLength = 0, denseLength = 0;
  if (!o.Get("data").IsUndefined()) {
    if (c.cols > 0 && c.rows > INT64_MAX / c.cols) fail(env, "C: rows * cols overflows");
    auto data = requireFloat64Array(env, o.Get("data"), "C.data", c.rows * c.cols);
    keep(data);
    // A zero-length typed array has no data pointer; the view needs a non-null one to be dense.
    static const double kNoRows = 0.0;
    c.dense = data.ElementLength() > 0 ? data.Data() : &kNoRows;
    denseLength = static_cast<int64_t>(data.ElementLength());
  } else {
    auto indptr = requireInt32Array(env, requireField(o, "indptr"), "C.indptr", c.rows + 1);
    auto indices = requireInt32Array(env, requireField(o, "indices"), "C.indices", -1);
    auto values = requireFloat64Array(env, requireField(o, "values"), "C.values", -1);
    keep(indptr);
    keep(indices);
    keep(values);
    c.indptr = indptr.Data();
    c.indices = indices.Data();
    c.values = values.Data();
    indicesLength = static_cast<int64_t>(indices.ElementLength());
    valuesLength = static_cast<int64_t>(values.ElementLength());
  }
  const std::string invalid = validate(c, indicesLength, valuesLength, denseLength);
  if (!invalid.empty()) fail(env, invalid);
  return c;
}

Napi::Object traceRowToJs(Napi::Env env, const TraceRow& r) {
  auto nullable = [&](double v) { return std::isnan(v) ? env.Null() : Napi::Number::New(env, v); };
  Napi::Object o = Napi::Object::New(env);
  o.Set("iteration", r.iteration);
  o.Set("loss", r.loss);
  o.Set("gradNorm", r.gradNorm);
  o.Set("step", r.step);
  o.Set("backtracks", r.backtracks);
  o.Set("mu", r.mu);
  o.Set("decrement", nullable(r.decrement));
  o.Set("sketch", sketchName(r.sketch));
  o.Set("sketchRows", static_cast<double>(r.sketchRows));
  o.Set("negativePart", r.negativePart);
  o.Set("innerIterations", r.innerIterations);
  o.Set("secondsSparse", r.secondsSparse);
  o.Set("secondsSketch", r.secondsSketch);
  o.Set("secondsDense", r.secondsDense);
  o.Set("seconds", r.seconds);
  o.Set("distance", nullable(r.distance));
  return o;
}

Napi::Object resultToJs(Napi::Env env, const SolveResult& r) {
  Napi::Object o = Napi::Object::New(env);
  auto x = Napi::Float64Array::New(env, r.x.size());
  if (!r.x.empty()) std::memcpy(x.Data(), r.x.data(), sizeof(double) * r.x.size());
  o.Set("x", x);
  o.Set("loss", r.loss);
  o.Set("gradNorm", r.gradNorm);
  o.Set("iterations", r.iterations);
  o.Set("converged", r.converged);
  o.Set("stopReason", stopReasonName(r.stopReason));
  o.Set("message", r.message);
  o.Set("seconds", r.seconds);
  Napi::Array trace = Napi::Array::New(env, r.trace.size());
  for (size_t i = 0; i < r.trace.size(); ++i) trace.Set(static_cast<uint32_t>(i), traceRowToJs(env, r.trace[i]));
  o.Set("trace", trace);
  return o;
}

}  // namespace softnewton::binding
