// The ranges of the solver's options, once. The bindings check them where memory safety or a
// finite loop depends on it, the addon exports them (`limits`, native/binding/limits_binding.cc),
// and the TypeScript option schema (src/options.ts) reads them from there: no other copy exists.
#pragma once
#include <climits>
#include <cstdint>

namespace softnewton::limits {

// OSNAP's non-zeros per row, s. The row hash (sketch/kinds.h) has an 8-bit slot field, so 256 is
// the hard ceiling; s beyond a few dozen costs s passes per stored entry for no accuracy a leverage
// sample would not give cheaper, so the supported range stops at 64.
constexpr int kMaxOsnapNonzeros = 64;

// ε₀, the target spectral error behind the derived sketch size k = ⌈3·d·ln(d+1)/ε₀²⌉: open
// interval (0, 1). At 0 k is infinite; at 1 a (1 ± ε₀) sketch may be singular.
constexpr double kEps0Above = 0.0;
constexpr double kEps0Below = 1.0;

// k reaches BLAS as an int (dsyrk) and k draws are held in memory.
constexpr int64_t kMaxSketchRows = INT32_MAX;

// The most threads of one solve's native passes: kMaxThreads in core/parallel.h, with the pool that runs them.

// Iteration caps: a bound on the trace's size (one row per iteration) and on a CG solve.
constexpr int kMaxIterations = 1000000;
constexpr int kMaxInnerIterations = 100000;

// L-BFGS corrections: liblbfgs allocates 2m vectors of d.
constexpr int kMaxLbfgsMemory = 1000;

}  // namespace softnewton::limits
