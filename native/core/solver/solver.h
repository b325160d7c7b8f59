// The solvers of docs/math.md §§4–5 behind one entry point. Every method follows the same
// sequence — evaluate at x → direction → line search → convergence check — and records one trace
// row per iteration. Non-convergence is a result with a stop reason, never an exception.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/objective.h"
#include "core/reduce.h"
#include "core/sketch/sketch.h"

namespace softnewton {

enum class Method { ApproxNewton, Newton, NewtonPcg, GradientDescent, Lbfgs };

// One vocabulary across C++, TypeScript and the docs.
enum class StopReason {
  RelativeTolerance,  // ‖∇L(x)‖ ≤ tol · ‖∇L(x₀)‖            (converged)
  AbsoluteTolerance,  // ‖∇L(x)‖ ≤ atol                      (converged)
  NewtonDecrement,    // ½ λ(x)² ≤ decrementTol              (converged)
  MaxIterations,
  LineSearchFailed,   // no step along the direction decreased L
  Indefinite,         // the Hessian stayed indefinite under the largest damping
  Overflow,           // the loss, its gradient or the Hessian overflows (at the start or later)
  Cancelled,
  Saturated,          // ∇L(x₀) is exactly 0 with L(x₀) > 0: a flat, saturated region, not a minimiser found
};

const char* methodName(Method m);
const char* stopReasonName(StopReason r);
bool isConverged(StopReason r);

struct SolverOptions {
  Method method = Method::NewtonPcg;
  SketchOptions sketch;          // kind Auto by default; rows 0 → derived from eps0
  double eps0 = 0.5;             // target spectral error of the sketch when rows is 0
  double tol = 1e-8;             // relative gradient tolerance
  double atol = 0.0;             // absolute gradient tolerance (0: off)
  double decrementTol = 0.0;     // Newton decrement ½λ² tolerance (0: off)
  int maxIterations = 100;
  int maxInnerIterations = 200;  // newton-pcg: CG steps per outer iteration
  int lbfgsMemory = 10;
  uint64_t seed = 0;
  // Threads for every pass of the solve: the objective's row blocks, the Gram, the sketches and the
  // d × d BLAS-3 work. The result is identical bit for bit for every value (docs/performance.md).
  int threads = 1;
  const Reduction* reduction = nullptr;       // across processes (docs/distributed.md); null: one process
  const double* xStar = nullptr;              // d values: trace records ‖x_t − x*‖
  const int32_t* cancelFlag = nullptr;        // non-zero (read atomically) ⇒ stop at the next check
};

// Row t describes the point x_t (loss, gradient, distance) and the step that led to it from x_{t−1}
// (row 0 is the start point: its step fields are zero).
struct TraceRow {
  int iteration = 0;
  double loss = 0, gradNorm = 0, distance = NAN;
  double step = 0;            // accepted line-search step length t
  int backtracks = 0;
  double mu = 0;              // damping added to the Hessian approximation
  double decrement = NAN;     // Newton decrement λ = sqrt(gᵀ H̃⁻¹ g) at x_{t−1} (NaN for gd/lbfgs)
  SketchKind sketch = SketchKind::None;
  int64_t sketchRows = 0;
  std::string negativePart = "none";
  int innerIterations = 0;    // newton-pcg: CG steps
  double secondsSparse = 0, secondsSketch = 0, secondsDense = 0, seconds = 0;
};

struct SolveResult {
  std::vector<double> x;
  double loss = 0, gradNorm = 0;
  int iterations = 0;
  bool converged = false;
  StopReason stopReason = StopReason::MaxIterations;
  std::string message;  // detail for the stop reason (overflow text, line search numbers)
  std::vector<TraceRow> trace;
  double seconds = 0;
};

using TraceSink = std::function<void(const TraceRow&)>;

// x0 has d entries; when null, the documented default start (a small seeded random vector) is used.
SolveResult solve(const Objective& f, const double* x0, const SolverOptions& options, const TraceSink& onIteration);

// The default start: N(0, σ²I) with σ = 0.1/√d (‖x₀‖ ≈ 0.1), from the given seed. Never exactly 0:
// at x = 0 every z is 0, and for relu-softmax the gradient there is exactly 0.
std::vector<double> defaultStart(int64_t d, uint64_t seed);

}  // namespace softnewton
