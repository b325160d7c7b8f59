// Per-environment addon state. Each thread that loads the addon (the main thread, each worker)
// gets its own Addon through NODE_API_ADDON; nothing is shared across threads here.
#pragma once
#include <napi.h>

#include "core/objective.h"

namespace softnewton::binding {

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

 private:
  Napi::FunctionReference problemClass_;
  int threads_ = 1;
  Point workspace_;
};

}  // namespace softnewton::binding
