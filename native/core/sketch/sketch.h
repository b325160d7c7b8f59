// One interface for every sketch: the rows of D^{1/2} C → an approximation M̃ of
// M = Cᵀ diag(D) C (docs/math.md §4). The solver asks for a sketch by kind and size and never
// looks inside.
#pragma once
#include <cstdint>
#include <string>

#include "core/matrix.h"
#include "core/parallel.h"

namespace softnewton {

struct GramScratch;  // core/linalg.h

enum class SketchKind { Auto, None, Leverage, CountSketch, Osnap, Uniform };

const char* sketchName(SketchKind kind);
// The inverse of sketchName; false for an unknown name.
bool parseSketchKind(const std::string& name, SketchKind* kind);

struct SketchOptions {
  SketchKind kind = SketchKind::Auto;
  int64_t rows = 0;           // k: sketch rows (CountSketch/OSNAP buckets, or sampled rows)
  int osnapNonzeros = 4;      // s: buckets per row for OSNAP
  uint64_t seed = 0;
  int threads = 1;            // row-block parallelism; the result is identical for every value
  int64_t rowOffset = 0;      // the first row's index in the whole problem (CountSketch/OSNAP hashes by it)
  // Non-zero (read atomically) ⇒ the sketch stops inside its long row passes by throwing
  // PassCancelled (core/parallel.h). Null: never.
  const int32_t* cancelFlag = nullptr;
  // The exact Gram's buffers, kept by the caller across calls (core/linalg.h); null: per call.
  GramScratch* exactScratch = nullptr;
};

struct SketchReport {
  SketchKind kind = SketchKind::None;  // the kind actually used (Auto resolved)
  int64_t rows = 0;                    // k actually used (n for None)
  int64_t negativeRows = 0;            // rows with D < 0
  // How the D⁻ part was handled: "none" (D ≥ 0), "exact" (few rows) or "sketched".
  std::string negativePart = "none";
};

// m (d × d, column-major, upper triangle; zero on entry) += M̃ ≈ Cᵀ diag(D) C.
// Throws std::invalid_argument naming the field ("sketchRows: …", "osnapNonzeros: …", "D: …") for
// options or data the sketch cannot run with ("threads: …" below 1), and PassCancelled when
// options.cancelFlag is raised. Deterministic in options.seed, bit for bit whatever options.threads.
SketchReport sketchGram(const MatrixView& c, const double* D, const SketchOptions& options, double* m);

// `None` when the exact product is cheaper (Σ_i nnz(row_i)² ≤ k·d²), else `Leverage`.
SketchKind resolveAuto(const MatrixView& c, int64_t k);

// newton-pcg's preconditioner needs no (1 ± ε₀) guarantee, only a small condition number for CG:
// about ((1 + √(d/k)) / (1 − √(d/k)))² for a subspace embedding with k rows (docs/math.md §4), 3.7
// at k = 10d, where the ε₀ rule asks for 12·d·ln(d+1) rows (83·d at d = 1000). Its default k is
// m·d, capped at n, with m the whole number in [kMinPreconditionerRowsPerColumn,
// kMaxPreconditionerRowsPerColumn] that minimises the solve's cost: the passes of its CG steps
// (expectedCgSteps) against the k × d Gram, both in units of one stored entry streamed by a pass
// (docs/performance.md). So k grows from 10d only where passes over C cost much more than the
// Gram: dense rows with n ≫ d (21d at n = 200k, d = 1000), or sparse rows with a small d.
// `nnz`: stored entries of the whole problem (n·d for dense rows). Measured by bench/targets.ts.
constexpr int64_t kMinPreconditionerRowsPerColumn = 10;
constexpr int64_t kMaxPreconditionerRowsPerColumn = 40;
int64_t preconditionerRows(int64_t rows, int64_t d, double nnz);
// CG steps over a whole solve to about 1e-8 with a preconditioner of k rows: the residual contracts
// by about √(d/k) a step (√κ's (√κ − 1)/(√κ + 1) for the κ above) over kCgDecades decades.
double expectedCgSteps(double k, double d);

// `auto` for newton-pcg: the exact product or a CountSketch of k rows, whichever a cost model says
// makes the cheaper solve, in units of one dense entry streamed by a pass over C. Both pay passes
// for their Newton iterations (CSR entries and rows weigh more than dense entries). Exact Newton
// adds at every iteration its Gram — scattered multiply-adds for rows with few entries, d² flops at
// the BLAS-3 rate (kBlasFlopsPerEntry flops per unit) for the others — and its factor; newton-pcg
// adds one embedding pass, one k × d Gram and factor, and a pass per expected CG step. The rates
// are constants measured on this machine kind, not timed at run time: a choice that followed the
// load of the moment would make a seeded solve's bits vary from run to run (docs/performance.md).
SketchKind resolveAutoPreconditioner(const MatrixView& c, int64_t k);
// Its two prices, in those units, and the choice they make (bench/crossover.ts prints them beside
// the measured times).
struct PreconditionerCosts {
  double exact = 0.0, sketch = 0.0;
  SketchKind choice = SketchKind::None;
};
PreconditionerCosts preconditionerCosts(const MatrixView& c, int64_t k);
// The two parts of C those prices depend on: one pass over it, and its exact Gram. Both are sums
// over rows, so a distributed solve adds its shards' and prices the average rank's
// (src/distributed/solve.ts) with the constants one process uses.
struct PreconditionerWork {
  double pass = 0.0, gram = 0.0;
};
PreconditionerWork preconditionerWork(const MatrixView& c);
PreconditionerCosts pricePreconditioner(const PreconditionerWork& work, int64_t cols, int64_t k);

// The documented default k for a target spectral error ε₀: k = ⌈c · d · ln(d + 1) / ε₀²⌉ capped at n
// (and at least 1). c and how it was measured: sketch.cc. Throws std::invalid_argument unless
// 0 < ε₀ < 1 (core/limits.h).
int64_t sketchRowsForEpsilon(int64_t rows, int64_t d, double eps0);

}  // namespace softnewton
