#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/random.h"
#include "core/solver/methods.h"

namespace softnewton {

const char* methodName(Method m) {
  switch (m) {
    case Method::ApproxNewton: return "approx-newton";
    case Method::Newton: return "newton";
    case Method::NewtonPcg: return "newton-pcg";
    case Method::GradientDescent: return "gd";
    case Method::Lbfgs: return "lbfgs";
  }
  return "?";
}

const char* stopReasonName(StopReason r) {
  switch (r) {
    case StopReason::RelativeTolerance: return "relativeTolerance";
    case StopReason::AbsoluteTolerance: return "absoluteTolerance";
    case StopReason::NewtonDecrement: return "newtonDecrement";
    case StopReason::MaxIterations: return "maxIterations";
    case StopReason::LineSearchFailed: return "lineSearchFailed";
    case StopReason::Indefinite: return "indefinite";
    case StopReason::Overflow: return "overflow";
    case StopReason::Cancelled: return "cancelled";
    case StopReason::Saturated: return "saturated";
  }
  return "?";
}

bool isConverged(StopReason r) {
  return r == StopReason::RelativeTolerance || r == StopReason::AbsoluteTolerance || r == StopReason::NewtonDecrement;
}

std::vector<double> defaultStart(int64_t d, uint64_t seed) {
  Rng rng(Rng::derive(seed, 0x5747a27ULL));
  std::vector<double> x(d);
  const double sigma = 0.1 / std::sqrt(static_cast<double>(d));
  for (auto& v : x) v = sigma * rng.normal();
  return x;
}

namespace detail {
SolveResult startOverflow(Run& run, Point& at, const std::string& message) {
  at.loss = std::numeric_limits<double>::infinity();
  at.gradient.assign(at.x.size(), 0.0);
  SolveResult result = run.finish(at, StopReason::Overflow, "at the start point: " + message, 0.0);
  result.gradNorm = std::numeric_limits<double>::infinity();
  return result;
}
}  // namespace detail

SolveResult solve(const Objective& f, const double* x0, const SolverOptions& options, const TraceSink& onIteration) {
  if (options.maxIterations < 0) throw std::invalid_argument("maxIter: must be >= 0");
  if (!(options.tol >= 0) || !(options.atol >= 0)) throw std::invalid_argument("tol: must be >= 0");
  if (options.threads < 1) throw std::invalid_argument("threads: must be >= 1");
  const std::vector<double> start = x0 ? std::vector<double>(x0, x0 + f.dim()) : defaultStart(f.dim(), options.seed);
  // The solve's own view of the problem: its threads, cancel flag and reduction for every pass.
  const Objective g = f.with(Execution{options.threads, options.cancelFlag, options.reduction});
  switch (options.method) {
    case Method::ApproxNewton:
    case Method::Newton:
    case Method::NewtonPcg:
      return detail::solveNewton(g, start, options, onIteration);
    case Method::GradientDescent:
      return detail::solveGradientDescent(g, start, options, onIteration);
    case Method::Lbfgs:
      return detail::solveLbfgs(g, start, options, onIteration);
  }
  throw std::invalid_argument("method: unknown");
}

}  // namespace softnewton
