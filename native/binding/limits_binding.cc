// What TypeScript must agree with, exported from the one place each fact is written: the option
// ranges (core/limits.h), the names of every enumeration, and the memory estimate of a solve
// (core/footprint.cc).
#include "binding/limits_binding.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "binding/convert.h"
#include "binding/problem_handle.h"
#include "core/footprint.h"
#include "core/limits.h"
#include "core/parallel.h"
#include "core/solver/solver.h"

namespace softnewton::binding {

namespace {

Napi::Array strings(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) out.Set(static_cast<uint32_t>(i), values[i]);
  return out;
}

Method parseMethodName(Napi::Env env, const std::string& name) {
  for (Method m : {Method::ApproxNewton, Method::Newton, Method::NewtonPcg, Method::GradientDescent, Method::Lbfgs})
    if (name == methodName(m)) return m;
  fail(env, "method: unknown method '" + name + "'");
}

}  // namespace

Napi::Object Limits(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("osnapNonzerosMax", limits::kMaxOsnapNonzeros);
  o.Set("eps0Above", limits::kEps0Above);
  o.Set("eps0Below", limits::kEps0Below);
  o.Set("sketchRowsMax", static_cast<double>(limits::kMaxSketchRows));
  o.Set("threadsMax", kMaxThreads);
  o.Set("maxIterMax", limits::kMaxIterations);
  o.Set("maxInnerMax", limits::kMaxInnerIterations);
  o.Set("lbfgsMemoryMax", limits::kMaxLbfgsMemory);
  o.Freeze();
  return o;
}

Napi::Object Defaults(Napi::Env env) {
  const SolverOptions s;
  Napi::Object o = Napi::Object::New(env);
  o.Set("method", methodName(s.method));
  o.Set("sketch", sketchName(s.sketch.kind));
  o.Set("sketchRows", static_cast<double>(s.sketch.rows));
  o.Set("osnapNonzeros", s.sketch.osnapNonzeros);
  o.Set("eps0", s.eps0);
  o.Set("tol", s.tol);
  o.Set("atol", s.atol);
  o.Set("decrementTol", s.decrementTol);
  o.Set("maxIter", s.maxIterations);
  o.Set("maxInner", s.maxInnerIterations);
  o.Set("lbfgsMemory", s.lbfgsMemory);
  o.Set("seed", static_cast<double>(s.seed));
  o.Freeze();
  return o;
}

Napi::Object Names(Napi::Env env) {
  std::vector<std::string> methods, sketches, stopReasons;
  for (Method m : {Method::NewtonPcg, Method::ApproxNewton, Method::Newton, Method::GradientDescent, Method::Lbfgs})
    methods.emplace_back(methodName(m));
  for (SketchKind k : {SketchKind::Auto, SketchKind::None, SketchKind::Leverage, SketchKind::CountSketch,
                       SketchKind::Osnap, SketchKind::Uniform})
    sketches.emplace_back(sketchName(k));
  // Every enumerator, in order: stopReasonName answers "?" past the last one (StopReason is int-based).
  for (int r = 0; r < 64 && std::string(stopReasonName(static_cast<StopReason>(r))) != "?"; ++r)
    stopReasons.emplace_back(stopReasonName(static_cast<StopReason>(r)));
  Napi::Object o = Napi::Object::New(env);
  o.Set("methods", strings(env, methods));
  o.Set("sketches", strings(env, sketches));
  o.Set("stopReasons", strings(env, stopReasons));
  o.Set("models", strings(env, modelNames()));
  o.Set("units", strings(env, unitNames()));
  // sketch.h SketchReport::negativePart.
  o.Set("negativeParts", strings(env, {"none", "exact", "sketched"}));
  o.Freeze();
  return o;
}

Napi::Value Footprint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject())
    fail(env, "footprint: expected (problem or {rows, cols, nnz}, options)");
  FootprintInput in;
  Napi::Object shape = info[0].As<Napi::Object>();
  if (shape.Get("rows").IsUndefined()) {
    // A NativeProblem: its matrix gives nnz and the cost `auto` compares.
    const MatrixView& c = unwrapProblem(env, info[0], "problem").objective(env).matrix();
    in.rows = c.rows;
    in.cols = c.cols;
    in.nnz = c.nnz();
    in.dense = c.isDense();
    in.matrix = &c;
  } else {
    in.rows = requireCount(shape, "rows", 0, int64_t{1} << 53);
    in.cols = requireCount(shape, "cols", 1, int64_t{1} << 31);
    in.nnz = shape.Get("nnz").IsUndefined() ? in.rows * in.cols : requireCount(shape, "nnz", 0, int64_t{1} << 53);
  }
  Napi::Object o = info[1].As<Napi::Object>();
  in.method = parseMethodName(env, requireString(o, "method"));
  if (!parseSketchKind(requireString(o, "sketch"), &in.sketch)) fail(env, "sketch: unknown sketch");
  in.sketchRows = requireCount(o, "sketchRows", 0, limits::kMaxSketchRows);
  in.eps0 = requireNumber(o, "eps0");
  if (!(in.eps0 > limits::kEps0Above && in.eps0 < limits::kEps0Below)) fail(env, "eps0: must be in (0, 1)");
  in.osnapNonzeros = static_cast<int>(requireCount(o, "osnapNonzeros", 1, limits::kMaxOsnapNonzeros));
  in.maxIterations = static_cast<int>(requireCount(o, "maxIter", 0, limits::kMaxIterations));
  in.lbfgsMemory = static_cast<int>(requireCount(o, "lbfgsMemory", 1, limits::kMaxLbfgsMemory));
  in.threads = static_cast<int>(requireCount(o, "threads", 1, kMaxThreads));
  const softnewton::Footprint f = solveFootprint(in);
  Napi::Object out = Napi::Object::New(env);
  out.Set("bytes", f.bytes);
  Napi::Array parts = Napi::Array::New(env, f.parts.size());
  for (size_t i = 0; i < f.parts.size(); ++i) {
    Napi::Array part = Napi::Array::New(env, 2);
    part.Set(0u, f.parts[i].name);
    part.Set(1u, f.parts[i].bytes);
    parts.Set(static_cast<uint32_t>(i), part);
  }
  out.Set("parts", parts);
  return out;
}

Napi::Value HessianFootprint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("rows", info.Length() > 0 ? info[0] : env.Undefined());
  o.Set("cols", info.Length() > 1 ? info[1] : env.Undefined());
  const int64_t rows = requireCount(o, "rows", 0, int64_t{1} << 53);
  const int64_t cols = requireCount(o, "cols", 1, int64_t{1} << 31);
  return Napi::Number::New(env, hessianFootprintBytes(rows, cols));
}

}  // namespace softnewton::binding
