#pragma once
#include <napi.h>

namespace softnewton::binding {
// The `limits` object: the ranges of core/limits.h, for the TypeScript option schema (src/options.ts).
Napi::Object Limits(Napi::Env env);
// The `defaults` object: SolverOptions' defaults (core/solver/solver.h), which the schema must equal.
Napi::Object Defaults(Napi::Env env);
// The `names` object: every name the core accepts or reports (methods, sketches, stop reasons,
// models, units, negative parts), so that a test can hold TypeScript's unions to them.
Napi::Object Names(Napi::Env env);
// footprint(problem | {rows, cols, nnz}, options) → {bytes, parts: [name, bytes][]} (core/footprint.h).
Napi::Value Footprint(const Napi::CallbackInfo& info);
// hessianFootprint(rows, cols) → bytes of Problem.hessian(x).
Napi::Value HessianFootprint(const Napi::CallbackInfo& info);
}  // namespace softnewton::binding
