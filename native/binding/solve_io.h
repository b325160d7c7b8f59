// A solve's options, problem data and result across the boundary: one definition for every addon
// that solves (the main addon's solve and solveSync, the MPI addon's distributed solve).
#pragma once
#include <napi.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/matrix.h"
#include "core/solver/solver.h"

namespace softnewton::binding {

// The solver's options from a resolved options object (src/resolve.ts): every field present, each
// checked against the native limits (core/limits.h); throws a TypeError naming the field. Points
// (x0, xStar) are read with optionalPoint.
SolverOptions parseSolverOptions(Napi::Env env, const Napi::Object& o);

// An optional point of d finite values (undefined or null: empty).
std::vector<double> optionalPoint(Napi::Env env, const Napi::Object& o, const char* field, int64_t d);

// C from a problem spec (rows, cols, then data or indptr/indices/values), validated; `keep` is
// called with every typed array the view points into, for the caller to keep alive.
MatrixView parseMatrix(Napi::Env env, const Napi::Object& o, const std::function<void(Napi::TypedArray)>& keep);

Napi::Object traceRowToJs(Napi::Env env, const TraceRow& r);
Napi::Object resultToJs(Napi::Env env, const SolveResult& r);

}  // namespace softnewton::binding
