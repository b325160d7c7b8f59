// A validated problem (C, b and the model) held by JavaScript. The typed arrays it was built from
// are referenced, not copied; every call checks that none was detached since.
#pragma once
#include <napi.h>

#include <memory>
#include <vector>

#include "core/objective.h"

namespace softnewton::binding {

class ProblemHandle : public Napi::ObjectWrap<ProblemHandle> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit ProblemHandle(const Napi::CallbackInfo& info);

  // For the solver bindings: the objective, after checking the arrays are still attached.
  const Objective& objective(Napi::Env env);
  // Keeps the problem's arrays alive while asynchronous work reads them.
  Napi::Object self() { return Value(); }

 private:
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value Loss(const Napi::CallbackInfo& info);
  Napi::Value Pieces(const Napi::CallbackInfo& info);
  Napi::Value Hessian(const Napi::CallbackInfo& info);
  Napi::Value HessianVector(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);

  const double* point(const Napi::CallbackInfo& info, size_t index, const char* field);
  // The objective on this environment's threads, after the detach check.
  Objective current(Napi::Env env);
  // The environment's workspace for synchronous calls (core/objective.h: Point).
  static Point& workspace(Napi::Env env);
  void keep(Napi::TypedArray array);

  struct Kept {
    Napi::Reference<Napi::TypedArray> ref;  // weak: the object's `arrays` property holds the array
    size_t byteLength;
  };
  std::vector<Kept> kept_;
  std::unique_ptr<Objective> objective_;
};

// The ProblemHandle behind a JavaScript value, after checking it really is a NativeProblem of this
// environment (a foreign object would otherwise be reinterpreted as one).
ProblemHandle& unwrapProblem(Napi::Env env, Napi::Value value, const char* field);

}  // namespace softnewton::binding
