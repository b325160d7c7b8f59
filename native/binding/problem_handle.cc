#include "binding/problem_handle.h"

#include <cmath>
#include <cstring>

#include "binding/addon.h"
#include "binding/convert.h"
#include "binding/solve_io.h"
#include "core/linalg.h"

namespace softnewton::binding {

Napi::Function ProblemHandle::Init(Napi::Env env) {
  return DefineClass(env, "NativeProblem",
                     {InstanceMethod("evaluate", &ProblemHandle::Evaluate),
                      InstanceMethod("loss", &ProblemHandle::Loss),
                      InstanceMethod("pieces", &ProblemHandle::Pieces),
                      InstanceMethod("hessian", &ProblemHandle::Hessian),
                      InstanceMethod("hessianVector", &ProblemHandle::HessianVector),
                      InstanceMethod("predict", &ProblemHandle::Predict)});
}

// The arrays are held by the NativeProblem object itself (a frozen, non-enumerable `arrays`
// property), not by strong Node-API references: the garbage collector then frees them together
// with the object. Strong references were released only by the object's finalizer, which Node runs
// later from the event loop, so a synchronous loop building Problems kept every one's arrays alive
// until it yielded (≈ 26 KB per 300 × 8 problem, without bound). The weak references below only
// serve the detach check.
void ProblemHandle::keep(Napi::TypedArray array) {
  Napi::Object self = Value();
  if (kept_.empty()) self.DefineProperty(Napi::PropertyDescriptor::Value("arrays", Napi::Array::New(Env()), napi_default));
  self.Get("arrays").As<Napi::Array>().Set(static_cast<uint32_t>(kept_.size()), array);
  kept_.push_back({Napi::Reference<Napi::TypedArray>::New(array, 0), array.ByteLength()});
}

// new NativeProblem({rows, cols, data | indptr+indices+values, target, model, unit, scale, bias,
//                    weight, ridge})
ProblemHandle::ProblemHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProblemHandle>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) fail(env, "problem: expected an object");
  Napi::Object o = info[0].As<Napi::Object>();

  const MatrixView c = parseMatrix(env, o, [this](Napi::TypedArray a) { keep(a); });

  ModelSpec spec;
  parseModelFields(env, o, c.rows, true, spec, [this](Napi::TypedArray a) { keep(a); });
  auto target = requireFloat64Array(env, requireField(o, "target"), "b", c.rows);
  for (size_t i = 0; i < target.ElementLength(); ++i)
    if (!std::isfinite(target.Data()[i])) fail(env, "b: must be finite (row " + std::to_string(i) + ")");
  keep(target);
  spec.target = target.Data();
  objective_ = std::make_unique<Objective>(c, spec);
  Value().Get("arrays").As<Napi::Object>().Freeze();  // nobody may drop an array the view points into
}

const Objective& ProblemHandle::objective(Napi::Env env) {
  for (const auto& k : kept_)
    if (k.ref.Value().IsEmpty() || k.ref.Value().ByteLength() != k.byteLength)
      fail(env, "problem: one of its arrays was detached or transferred; build a new Problem");
  return *objective_;
}

Point& ProblemHandle::workspace(Napi::Env env) { return env.GetInstanceData<Addon>()->workspace(); }

Objective ProblemHandle::current(Napi::Env env) {
  return objective(env).with(Execution{env.GetInstanceData<Addon>()->threads()});
}

const double* ProblemHandle::point(const Napi::CallbackInfo& info, size_t index, const char* field) {
  const int64_t d = objective_->dim();
  if (info.Length() <= index) fail(info.Env(), std::string(field) + ": is required");
  auto x = requireFloat64Array(info.Env(), info[index], field, d);
  for (int64_t j = 0; j < d; ++j)
    if (!std::isfinite(x.Data()[j])) fail(info.Env(), std::string(field) + ": must be finite (entry " + std::to_string(j) + ")");
  return x.Data();
}

namespace {
Napi::Float64Array copyOut(Napi::Env env, const std::vector<double>& v) {
  auto out = Napi::Float64Array::New(env, v.size());
  if (!v.empty()) std::memcpy(out.Data(), v.data(), sizeof(double) * v.size());
  return out;
}

// Numerical trouble at a point is not a usage error: it is reported as a RangeError whose message
// starts with "x:" so callers can tell which input led there.
void check(Napi::Env env, const std::string& problem) {
  if (!problem.empty()) throw Napi::RangeError::New(env, "x: " + problem);
}

// A finite point can still give a Hessian beyond the double range (entries of C near 1e200): a
// NumericalError rather than Inf or NaN handed back as a result.
void requireFinite(Napi::Env env, const Napi::Float64Array& a, const char* what) {
  for (size_t k = 0; k < a.ElementLength(); ++k)
    if (!std::isfinite(a.Data()[k]))
      check(env, std::string(what) + " overflows at this point (entry " + std::to_string(k) + " is not finite)");
}
}  // namespace

// evaluate(x) → {loss, gradient}: one fused evaluation (a pass for z, one Cᵀ pass).
Napi::Value ProblemHandle::Evaluate(const Napi::CallbackInfo& info) {
  const Objective f = current(info.Env());
  const double* x = point(info, 0, "x");
  check(info.Env(), f.evaluate(x, workspace(info.Env()), Order::Gradient));
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("loss", workspace(info.Env()).loss);
  out.Set("gradient", copyOut(info.Env(), workspace(info.Env()).gradient));
  return out;
}

// loss(x) → L(x) alone: one pass over C, no gradient.
Napi::Value ProblemHandle::Loss(const Napi::CallbackInfo& info) {
  const Objective f = current(info.Env());
  const double* x = point(info, 0, "x");
  check(info.Env(), f.evaluate(x, workspace(info.Env()), Order::Loss));
  return Napi::Number::New(info.Env(), workspace(info.Env()).loss);
}

// pieces(x) → the structured Hessian's pieces at x (docs/math.md §3).
Napi::Value ProblemHandle::Pieces(const Napi::CallbackInfo& info) {
  const Objective f = current(info.Env());
  const double* x = point(info, 0, "x");
  Point& at = workspace(info.Env());
  check(info.Env(), f.evaluate(x, at, Order::Hessian));
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("loss", at.loss);
  out.Set("z", copyOut(env, at.z));
  out.Set("gradZ", copyOut(env, at.terms.grad));
  out.Set("delta", copyOut(env, at.terms.delta));
  out.Set("D", copyOut(env, at.terms.D));
  out.Set("u0", copyOut(env, at.terms.u0));
  out.Set("u1", copyOut(env, at.terms.u1));
  auto s = Napi::Float64Array::New(env, 4);
  s[0] = at.terms.sigma;
  s[1] = -1.0;
  s[2] = -1.0;
  s[3] = 0.0;
  out.Set("S", s);
  return out;
}

Napi::Value ProblemHandle::Hessian(const Napi::CallbackInfo& info) {
  const Objective f = current(info.Env());
  const double* x = point(info, 0, "x");
  Point& at = workspace(info.Env());
  check(info.Env(), f.evaluate(x, at, Order::Hessian));
  const int64_t d = f.dim();
  auto h = Napi::Float64Array::New(info.Env(), d * d);
  f.denseHessian(at, h.Data());
  requireFinite(info.Env(), h, "the Hessian");
  return h;
}

Napi::Value ProblemHandle::HessianVector(const Napi::CallbackInfo& info) {
  const Objective f = current(info.Env());
  const double* x = point(info, 0, "x");
  const double* v = point(info, 1, "v");
  Point& at = workspace(info.Env());
  check(info.Env(), f.evaluate(x, at, Order::Hessian));
  auto out = Napi::Float64Array::New(info.Env(), f.dim());
  f.hessianVector(at, v, out.Data(), at.scratch);
  requireFinite(info.Env(), out, "the Hessian-vector product");
  return out;
}

// predict(x) → the model's prediction φ(a∘softmax(Cx) + c), n values.
Napi::Value ProblemHandle::Predict(const Napi::CallbackInfo& info) {
  const Objective f = current(info.Env());
  const double* x = point(info, 0, "x");
  std::vector<double>& z = workspace(info.Env()).z;
  z.resize(f.rows());
  f.multiply(x, z.data());
  auto y = Napi::Float64Array::New(info.Env(), f.rows());
  predict(f.model(), z.data(), f.rows(), y.Data());
  for (int64_t i = 0; i < f.rows(); ++i)
    if (!std::isfinite(y.Data()[i]))
      check(info.Env(), "the prediction overflows in row " + std::to_string(i) + " (the unit exceeds the double range)");
  return y;
}

ProblemHandle& unwrapProblem(Napi::Env env, Napi::Value value, const char* field) {
  Addon* addon = env.GetInstanceData<Addon>();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(addon->problemClass()))
    fail(env, std::string(field) + ": expected a NativeProblem");
  // An object made with Object.create(NativeProblem.prototype) passes InstanceOf but wraps nothing.
  void* wrapped = nullptr;
  if (napi_unwrap(env, value, &wrapped) != napi_ok || wrapped == nullptr)
    fail(env, std::string(field) + ": expected a NativeProblem built by its constructor");
  return *static_cast<ProblemHandle*>(wrapped);
}

}  // namespace softnewton::binding
