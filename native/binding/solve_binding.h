#pragma once
#include <napi.h>

namespace softnewton::binding {
// solve(problem, options, onIteration?, cancelFlag?) → Promise<result>: runs off the main thread.
Napi::Value Solve(const Napi::CallbackInfo& info);
// solveSync(problem, options, onIteration?, cancel?) → result: on the calling thread (scripts, pool
// workers); cancellable through the Int32Array flag like solve.
Napi::Value SolveSync(const Napi::CallbackInfo& info);
}  // namespace softnewton::binding
