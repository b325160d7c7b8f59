// What every method's loop shares: timing, the stop checks, the trace, cancellation, the line search.
#pragma once
#include <chrono>
#include <cmath>

#include "core/solver/solver.h"

namespace softnewton::detail {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  // Seconds since the last lap (or the start).
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point start_, last_ = std::chrono::steady_clock::now();
};

double norm2(const std::vector<double>& v);
double dot(const std::vector<double>& a, const std::vector<double>& b);

// Shared state of one solve: the options, the gradient norm at the start, the trace.
class Run {
 public:
  Run(const Objective& f, const SolverOptions& options, const TraceSink& sink)
      : f_(f), options_(options), sink_(sink) {}

  bool cancelled() const {
    return options_.cancelFlag && __atomic_load_n(options_.cancelFlag, __ATOMIC_RELAXED) != 0;
  }
  // Records the row for the point `at` (iteration = trace size) and reports it to the sink.
  void record(const Point& at, TraceRow row);
  // The stop reason that holds at the latest recorded point, if any (tolerances, max iterations,
  // cancellation); false when the loop should go on.
  bool shouldStop(StopReason* reason) const;
  // Fills the result from the final point.
  SolveResult finish(const Point& at, StopReason reason, std::string message, double seconds);

  const SolverOptions& options() const { return options_; }
  const Objective& objective() const { return f_; }
  int iterations() const { return trace_.empty() ? 0 : static_cast<int>(trace_.size()) - 1; }

 private:
  const Objective& f_;
  const SolverOptions& options_;
  const TraceSink& sink_;
  std::vector<TraceRow> trace_;
  double initialGradNorm_ = 0;
};

struct LineSearchOutcome {
  bool accepted = false;
  double step = 0;
  int backtracks = 0;
};

// Armijo backtracking along x − t·p from `at` (evaluated, with gradient): accepts the first t in
// initialStep·{1, ½, ¼, …} (at most 50 tries) with L(x − t p) ≤ L(x) − 1e-4 · t · gᵀp. Near the
// optimum that decrease falls below the rounding of L, so a step whose predicted decrease is within
// 16 ulps of |L| is accepted when it does not raise L by more than that. A trial point where the
// model overflows counts as too long a step. On success `next` holds the new point with its
// derivatives to `order` (one fused Cᵀ pass). `cp` holds C p: the trials move z along z − t·Cp
// without another pass over C, and evaluate the loss alone. It is computed here (one pass over C)
// unless `cpKnown` says the caller already has it (CG sums it from its Hessian–vector products).
LineSearchOutcome lineSearch(const Objective& f, const Point& at, const std::vector<double>& p, double slope,
                             double initialStep, Order order, Point& next, std::vector<double>& cp,
                             bool cpKnown = false);

}  // namespace softnewton::detail
