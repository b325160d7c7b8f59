// The first-order and quasi-Newton baselines: gradient descent with Armijo backtracking (first trial
// step by Barzilai–Borwein), and L-BFGS from Debian's liblbfgs (its own Wolfe line search).
#include <lbfgs.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

#include "core/solver/methods.h"

namespace softnewton::detail {

SolveResult solveGradientDescent(const Objective& f, const std::vector<double>& x0, const SolverOptions& o,
                                 const TraceSink& sink) {
  const int64_t d = f.dim();
  Stopwatch total;
  Run run(f, o, sink);
  Point at, next;
  if (std::string overflow = f.evaluate(x0.data(), at); !overflow.empty()) return startOverflow(run, at, overflow);
  run.record(at, TraceRow{});
  std::vector<double> cp;
  double step = 1.0 / std::max(norm2(at.gradient), std::numeric_limits<double>::min());
  StopReason reason;
  while (!run.shouldStop(&reason)) {
    TraceRow row;
    Stopwatch lap;
    const double slope = dot(at.gradient, at.gradient);
    const LineSearchOutcome ls = lineSearch(f, at, at.gradient, slope, step, Order::Gradient, next, cp);
    row.secondsSparse = lap.lap();
    if (!ls.accepted)
      return run.finish(at, StopReason::LineSearchFailed, "no step along the negative gradient decreased the loss",
                        total.seconds());
    // Barzilai–Borwein: with s = x⁺ − x and y = g⁺ − g, the next trial step is sᵀs / sᵀy.
    double ss = 0, sy = 0;
    for (int64_t j = 0; j < d; ++j) {
      const double s = next.x[j] - at.x[j], y = next.gradient[j] - at.gradient[j];
      ss += s * s;
      sy += s * y;
    }
    step = sy > 0 ? ss / sy : 2.0 * ls.step;
    std::swap(at, next);
    row.step = ls.step;
    row.backtracks = ls.backtracks;
    row.seconds = row.secondsSparse;
    run.record(at, row);
  }
  return run.finish(at, reason, "", total.seconds());
}

namespace {

struct LbfgsContext {
  const Objective& f;
  Run& run;
  Point trial, accepted;
  Stopwatch lap;
  double sparseSeconds = 0;
  int evaluations = 0;
  bool stopped = false;
  StopReason reason = StopReason::MaxIterations;
};

lbfgsfloatval_t evaluateCallback(void* instance, const lbfgsfloatval_t* x, lbfgsfloatval_t* g, const int n,
                                 const lbfgsfloatval_t) {
  auto* ctx = static_cast<LbfgsContext*>(instance);
  ctx->lap.lap();
  // liblbfgs begins by evaluating its start point, which the solve has just evaluated to record and
  // test it: the first call returns that evaluation instead of repeating it (one of the 8–9
  // evaluations of a well-conditioned solve).
  if (ctx->evaluations++ == 0 && std::equal(x, x + n, ctx->accepted.x.begin())) {
    std::memcpy(g, ctx->accepted.gradient.data(), sizeof(double) * n);
    ctx->sparseSeconds += ctx->lap.lap();
    return ctx->accepted.loss;
  }
  if (!ctx->f.evaluate(x, ctx->trial).empty()) {
    // An overflow is an infinitely bad trial: the line search shortens the step.
    std::fill(g, g + n, 0.0);
    ctx->sparseSeconds += ctx->lap.lap();
    return std::numeric_limits<double>::infinity();
  }
  std::memcpy(g, ctx->trial.gradient.data(), sizeof(double) * n);
  ctx->sparseSeconds += ctx->lap.lap();
  return ctx->trial.loss;
}

int progressCallback(void* instance, const lbfgsfloatval_t*, const lbfgsfloatval_t*, const lbfgsfloatval_t,
                     const lbfgsfloatval_t, const lbfgsfloatval_t, const lbfgsfloatval_t step, int, int, int ls) {
  auto* ctx = static_cast<LbfgsContext*>(instance);
  // liblbfgs calls this after an accepted line search, whose last evaluation is the new point.
  std::swap(ctx->accepted, ctx->trial);  // the trial's buffers are overwritten by the next evaluation
  TraceRow row;
  row.step = step;
  row.backtracks = std::max(ls - 1, 0);
  row.secondsSparse = ctx->sparseSeconds;
  row.seconds = ctx->sparseSeconds;
  ctx->sparseSeconds = 0;
  ctx->run.record(ctx->accepted, row);
  ctx->stopped = ctx->run.shouldStop(&ctx->reason);
  return ctx->stopped ? 1 : 0;
}

}  // namespace

SolveResult solveLbfgs(const Objective& f, const std::vector<double>& x0, const SolverOptions& o,
                       const TraceSink& sink) {
  const int64_t d = f.dim();
  Stopwatch total;
  Run run(f, o, sink);
  LbfgsContext ctx{f, run, {}, {}, {}, 0, 0, false, StopReason::MaxIterations};
  if (std::string overflow = f.evaluate(x0.data(), ctx.accepted); !overflow.empty())
    return startOverflow(run, ctx.accepted, overflow);
  run.record(ctx.accepted, TraceRow{});
  StopReason reason;
  if (run.shouldStop(&reason)) return run.finish(ctx.accepted, reason, "", total.seconds());

  lbfgs_parameter_t param;
  lbfgs_parameter_init(&param);
  param.m = o.lbfgsMemory;
  param.epsilon = 0.0;       // our own tolerances decide, in the progress callback
  param.past = 0;
  param.max_iterations = 0;  // likewise
  param.max_linesearch = 50;
  std::unique_ptr<lbfgsfloatval_t, void (*)(lbfgsfloatval_t*)> x(lbfgs_malloc(static_cast<int>(d)), lbfgs_free);
  if (!x) throw std::bad_alloc();
  std::copy(x0.begin(), x0.end(), x.get());
  lbfgsfloatval_t fx = 0;
  ctx.lap.lap();
  const int status = lbfgs(static_cast<int>(d), x.get(), &fx, evaluateCallback, progressCallback, &ctx, &param);
  if (ctx.stopped) return run.finish(ctx.accepted, ctx.reason, "", total.seconds());
  return run.finish(ctx.accepted, StopReason::LineSearchFailed,
                    "liblbfgs stopped with status " + std::to_string(status) +
                        (status == LBFGSERR_ROUNDING_ERROR || status == LBFGSERR_MAXIMUMLINESEARCH ||
                                 status == LBFGSERR_MINIMUMSTEP
                             ? " (its line search made no further progress)"
                             : ""),
                    total.seconds());
}

}  // namespace softnewton::detail
