// Per-environment addon state. Each thread that loads the addon (the main thread, each worker)
// gets its own Addon through NODE_API_ADDON; nothing is shared across threads here.
#pragma once
#include <napi.h>

namespace softnewton::binding {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);
  // The NativeProblem class of this environment, to check that a value really is one.
  Napi::Function problemClass() const { return problemClass_.Value(); }

 private:
  Napi::FunctionReference problemClass_;
};

}  // namespace softnewton::binding
