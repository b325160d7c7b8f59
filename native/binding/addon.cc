// Registers the addon, and does only that: one line per exported function, each defined in the
// file of its feature.
#include "binding/addon.h"

#include "binding/certify_binding.h"
#include "binding/cpu_binding.h"
#include "binding/generate.h"
#include "binding/problem_handle.h"
#include "binding/sketch_binding.h"
#include "binding/solve_binding.h"

extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

namespace softnewton::binding {

namespace {
// blasThreads() → the OpenBLAS thread count; blasThreads(n) sets it (process-wide in OpenBLAS).
Napi::Value BlasThreads(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "threads: expected a number");
    const int n = info[0].As<Napi::Number>().Int32Value();
    if (n < 1 || n > 1024) throw Napi::TypeError::New(info.Env(), "threads: expected an integer from 1 to 1024");
    openblas_set_num_threads(n);
  }
  return Napi::Number::New(info.Env(), openblas_get_num_threads());
}
}  // namespace

Addon::Addon(Napi::Env env, Napi::Object exports) {
  Napi::Function problem = ProblemHandle::Init(env);
  problemClass_ = Napi::Persistent(problem);
  auto function = [&](const char* name, Napi::Function::Callback callback) {
    return InstanceValue(name, Napi::Function::New(env, callback, name), napi_enumerable);
  };
  DefineAddon(exports, {
                           InstanceValue("NativeProblem", problem, napi_enumerable),
                           function("generatePlanted", GeneratePlanted),
                           function("blasThreads", BlasThreads),
                           function("sketchGram", SketchGram),
                           function("sketchSpectrum", SketchSpectrum),
                           function("sketchRowsForEpsilon", SketchRowsForEpsilon),
                           function("solve", Solve),
                           function("solveSync", SolveSync),
                           function("cpuFeatures", CpuFeatures),
                           function("symmetricEigenvalues", SymmetricEigenvalues),
                           function("generalizedEigenvalues", GeneralizedEigenvalues),
                           function("weightedGram", WeightedGram),
                       });
}

}  // namespace softnewton::binding
