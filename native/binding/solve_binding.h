#pragma once
#include <napi.h>

namespace softnewton::binding {
// solve(problem, options, onIteration?, cancelFlag?) → Promise<result>: runs off the main thread.
Napi::Value Solve(const Napi::CallbackInfo& info);
// solveSync(problem, options) → result: for scripts.
Napi::Value SolveSync(const Napi::CallbackInfo& info);
}  // namespace softnewton::binding
