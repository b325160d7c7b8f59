// Per-environment addon state. Each thread that loads the addon (the main thread, each worker)
// gets its own Addon through NODE_API_ADDON; nothing is shared across threads here.
#pragma once
#include <napi.h>
#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/objective.h"

namespace softnewton::binding {

// The cancel flags of the asynchronous solves this environment has running. Only the
// environment's own thread touches the list (solves start and end there, the watch below runs
// there); the flags themselves are read by the solving threads atomically.
class RunningSolves {
 public:
  void add(int32_t* flag) { flags_.push_back(flag); }
  void remove(int32_t* flag) {
    auto it = std::find(flags_.begin(), flags_.end(), flag);
    if (it != flags_.end()) flags_.erase(it);
  }
  void cancelAll() {
    for (int32_t* flag : flags_) __atomic_store_n(flag, 1, __ATOMIC_RELAXED);
  }
  bool empty() const { return flags_.empty(); }

 private:
  std::vector<int32_t*> flags_;
};

// Stops the running solves when the environment is torn down (worker.terminate(), process.exit in
// a worker). Node's teardown first waits for the environment's libuv work to finish and only then
// runs cleanup hooks, so a hook alone would come after the solve ended by itself (16 s, or never
// for maxIter 1e6). Instead, while solves run, an unreferenced libuv timer on the environment's
// loop (which Node keeps running while it waits) checks every 50 ms whether the environment may
// still call into JavaScript; once it may not, it raises every cancel flag, and each solve stops at
// its next iteration. The timer is closed by an async cleanup hook, before the loop is.
class TeardownWatch {
 public:
  static TeardownWatch* create(napi_env env, std::shared_ptr<RunningSolves> running);
  // A solve started: make sure the watch runs.
  void solveStarted();

 private:
  TeardownWatch(napi_env env, std::shared_ptr<RunningSolves> running) : env_(env), running_(std::move(running)) {}
  static void onTick(uv_timer_t* timer);
  static void onCleanup(napi_async_cleanup_hook_handle handle, void* self);
  bool environmentStopping();

  napi_env env_;
  std::shared_ptr<RunningSolves> running_;
  uv_timer_t timer_{};
  bool ticking_ = false;
  bool closed_ = false;
  napi_async_cleanup_hook_handle hook_ = nullptr;
};

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);
  // The NativeProblem class of this environment, to check that a value really is one.
  Napi::Function problemClass() const { return problemClass_.Value(); }
  // Threads for this environment's synchronous Problem calls (loss, gradient, Hessian …): the
  // cores by default, a pool worker's share in a worker (set from JavaScript through `threads`).
  int threads() const { return threads_; }
  void setThreads(int threads) { threads_ = threads; }
  // The workspace of this environment's synchronous Problem calls: its n-vectors are reused from
  // call to call, so a call allocates nothing per row beyond its result. One per environment, not
  // per Problem: JavaScript runs one call at a time here, and a Problem that is dropped leaves no
  // n-vectors waiting for its finalizer (docs/performance.md).
  Point& workspace() { return workspace_; }
  // Registers a running solve's cancel flag; the returned list outlives the Addon if need be.
  std::shared_ptr<RunningSolves> solveStarted(int32_t* flag);
  static Addon& of(Napi::Env env) { return *env.GetInstanceData<Addon>(); }

 private:
  napi_env env_;
  Napi::FunctionReference problemClass_;
  int threads_ = 1;
  Point workspace_;
  std::shared_ptr<RunningSolves> running_ = std::make_shared<RunningSolves>();
  TeardownWatch* watch_ = nullptr;  // owns itself: freed when its timer has closed
};

}  // namespace softnewton::binding
