// Registers the addon, and does only that: one line per exported function, each defined in the
// file of its feature.
#include "binding/addon.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

#include "core/parallel.h"
#include "binding/certify_binding.h"
#include "binding/cpu_binding.h"
#include "binding/generate.h"
#include "binding/limits_binding.h"
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
// threads() → this environment's threads for synchronous Problem calls; threads(n) sets them.
Napi::Value Threads(const Napi::CallbackInfo& info) {
  Addon* addon = info.Env().GetInstanceData<Addon>();
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "threads: expected a number");
    const double n = info[0].As<Napi::Number>().DoubleValue();
    if (!(n >= 1 && n <= kMaxThreads) || n != std::floor(n))
      throw Napi::TypeError::New(info.Env(), "threads: expected an integer from 1 to " + std::to_string(kMaxThreads));
    addon->setThreads(static_cast<int>(n));
  }
  return Napi::Number::New(info.Env(), addon->threads());
}
}  // namespace

Addon::Addon(Napi::Env env, Napi::Object exports) : env_(env) {
  // BLAS runs single-threaded: every parallel pass splits its own work into fixed blocks on the
  // solve's `threads` (docs/performance.md). OpenBLAS's own threads would change the bits with their
  // number and spin idle between calls. The setting is process-wide; every environment sets the same.
  openblas_set_num_threads(1);
  threads_ = static_cast<int>(std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), kMaxThreads)));
  Napi::Function problem = ProblemHandle::Init(env);
  problemClass_ = Napi::Persistent(problem);
  auto function = [&](const char* name, Napi::Function::Callback callback) {
    return InstanceValue(name, Napi::Function::New(env, callback, name), napi_enumerable);
  };
  DefineAddon(exports, {
                           InstanceValue("NativeProblem", problem, napi_enumerable),
                           function("generatePlanted", GeneratePlanted),
                           function("blasThreads", BlasThreads),
                           function("threads", Threads),
                           function("sketchGram", SketchGram),
                           function("sketchSpectrum", SketchSpectrum),
                           function("sketchRowsForEpsilon", SketchRowsForEpsilon),
                           function("preconditionerCosts", PreconditionerCostsOf),
                           function("pricePreconditioner", PricePreconditioner),
                           function("solve", Solve),
                           function("solveSync", SolveSync),
                           function("cpuFeatures", CpuFeatures),
                           function("symmetricEigenvalues", SymmetricEigenvalues),
                           function("generalizedEigenvalues", GeneralizedEigenvalues),
                           function("weightedGram", WeightedGram),
                           InstanceValue("limits", Limits(env), napi_enumerable),
                           InstanceValue("names", Names(env), napi_enumerable),
                           InstanceValue("defaults", Defaults(env), napi_enumerable),
                           function("footprint", Footprint),
                           function("hessianFootprint", HessianFootprint),
                       });
}

std::shared_ptr<RunningSolves> Addon::solveStarted(int32_t* flag) {
  running_->add(flag);
  if (watch_ == nullptr) watch_ = TeardownWatch::create(env_, running_);
  if (watch_ != nullptr) watch_->solveStarted();
  return running_;
}

TeardownWatch* TeardownWatch::create(napi_env env, std::shared_ptr<RunningSolves> running) {
  uv_loop_s* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return nullptr;
  auto* watch = new TeardownWatch(env, std::move(running));
  uv_timer_init(loop, &watch->timer_);
  watch->timer_.data = watch;
  uv_unref(reinterpret_cast<uv_handle_t*>(&watch->timer_));  // never keeps the process alive
  if (napi_add_async_cleanup_hook(env, &TeardownWatch::onCleanup, watch, &watch->hook_) != napi_ok) {
    // Without the hook nothing would close the timer before the loop: go without the watch.
    uv_close(reinterpret_cast<uv_handle_t*>(&watch->timer_), [](uv_handle_t* h) { delete static_cast<TeardownWatch*>(h->data); });
    return nullptr;
  }
  return watch;
}

void TeardownWatch::solveStarted() {
  if (ticking_ || closed_) return;
  ticking_ = true;
  uv_timer_start(&timer_, &TeardownWatch::onTick, 50, 50);
}

// napi refuses calls that may run JavaScript once the environment is stopping (worker.terminate()
// or process.exit set can_call_into_js to false); coercing a boolean is such a call, and harmless.
bool TeardownWatch::environmentStopping() {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env_, &scope) != napi_ok) return true;
  napi_value value, result;
  bool stopping = napi_get_boolean(env_, true, &value) != napi_ok || napi_coerce_to_bool(env_, value, &result) != napi_ok;
  napi_close_handle_scope(env_, scope);
  return stopping;
}

void TeardownWatch::onTick(uv_timer_t* timer) {
  auto* watch = static_cast<TeardownWatch*>(timer->data);
  if (watch->running_->empty()) {  // nothing to watch: sleep until the next solve starts
    uv_timer_stop(timer);
    watch->ticking_ = false;
    return;
  }
  if (watch->environmentStopping()) watch->running_->cancelAll();
}

void TeardownWatch::onCleanup(napi_async_cleanup_hook_handle, void* self) {
  auto* watch = static_cast<TeardownWatch*>(self);
  watch->running_->cancelAll();
  watch->closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&watch->timer_), [](uv_handle_t* handle) {
    auto* closed = static_cast<TeardownWatch*>(handle->data);
    if (closed->hook_ != nullptr) napi_remove_async_cleanup_hook(closed->hook_);
    delete closed;
  });
}

}  // namespace softnewton::binding
