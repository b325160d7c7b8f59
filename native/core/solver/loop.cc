#include "core/solver/loop.h"

#include <algorithm>
#include <limits>

namespace softnewton::detail {

double norm2(const std::vector<double>& v) {
  // Scaled by the largest entry, so that a finite vector with entries beyond ~1e154 has a finite
  // norm (the naive sqrt(Σ v²) overflows to +Inf there, and an infinite ‖∇L‖ passed the relative
  // test ‖∇L‖ ≤ tol·‖∇L(x₀)‖ as Inf ≤ Inf: "converged" at the start).
  double largest = 0.0;
  for (double x : v) {
    if (std::isnan(x)) return x;
    largest = std::max(largest, std::fabs(x));
  }
  if (largest == 0.0 || std::isinf(largest)) return largest;
  double s = 0.0;
  for (double x : v) s += (x / largest) * (x / largest);
  return largest * std::sqrt(s);
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void Run::record(const Point& at, TraceRow row) {
  row.iteration = static_cast<int>(trace_.size());
  row.loss = at.loss;
  row.gradNorm = norm2(at.gradient);
  if (options_.xStar) {
    double s = 0.0;
    for (size_t j = 0; j < at.x.size(); ++j) s += (at.x[j] - options_.xStar[j]) * (at.x[j] - options_.xStar[j]);
    row.distance = std::sqrt(s);
  }
  if (trace_.empty()) initialGradNorm_ = row.gradNorm;
  trace_.push_back(row);
  if (sink_) sink_(trace_.back());
}

bool Run::shouldStop(StopReason* reason) const {
  const TraceRow& last = trace_.back();
  if (!std::isfinite(last.gradNorm) || !std::isfinite(last.loss)) {
    *reason = StopReason::Overflow;  // never "converged" on an infinite gradient
  } else if (trace_.size() == 1 && last.gradNorm == 0.0 && last.loss > 0.0) {
    // An exactly zero gradient at the start with a positive loss: the model is saturated there (a
    // one-hot softmax from entries near 1e200, say), and ‖∇L‖ ≤ tol·‖∇L(x₀)‖ read 0 ≤ 0, which
    // reported "converged" after 0 iterations. Not a minimiser the solver found: say so.
    *reason = StopReason::Saturated;
  } else if (last.gradNorm <= options_.tol * initialGradNorm_) {
    *reason = StopReason::RelativeTolerance;
  } else if (last.gradNorm <= options_.atol) {
    *reason = StopReason::AbsoluteTolerance;
  } else if (options_.decrementTol > 0 && std::isfinite(last.decrement) &&
             0.5 * last.decrement * last.decrement <= options_.decrementTol && trace_.size() > 1) {
    *reason = StopReason::NewtonDecrement;
  } else if (iterations() >= options_.maxIterations) {
    *reason = StopReason::MaxIterations;
  } else if (cancelled()) {
    *reason = StopReason::Cancelled;
  } else {
    return false;
  }
  return true;
}

SolveResult Run::finish(const Point& at, StopReason reason, std::string message, double seconds) {
  SolveResult r;
  r.x = at.x;
  r.loss = at.loss;
  r.gradNorm = norm2(at.gradient);
  r.iterations = iterations();
  r.stopReason = reason;
  r.converged = isConverged(reason);
  r.message = std::move(message);
  if (reason == StopReason::Overflow && r.message.empty())
    r.message = "the loss or its gradient overflows at this point (entries of C, b or the scale too large for doubles)";
  if (reason == StopReason::Saturated && r.message.empty())
    r.message = "the gradient is exactly 0 at the start while the loss is positive: the model is saturated (flat) here, "
                "e.g. entries of C so large that the softmax is one-hot; scale the data or start elsewhere";
  r.trace = std::move(trace_);
  r.seconds = seconds;
  return r;
}

LineSearchOutcome lineSearch(const Objective& f, const Point& at, const std::vector<double>& p, double slope,
                             double initialStep, Order order, Point& next, std::vector<double>& cp,
                             bool cpKnown) {
  constexpr double kArmijo = 1e-4;
  constexpr int kMaxTries = 50;
  if (!cpKnown) {
    cp.resize(f.rows());
    f.multiply(p.data(), cp.data());
  }
  const double rounding = 16.0 * std::numeric_limits<double>::epsilon() * std::fabs(at.loss);
  LineSearchOutcome out;
  double t = initialStep;
  for (int tries = 0; tries < kMaxTries; ++tries, t *= 0.5) {
    const bool finite = f.lossAlongLine(at, p, cp, t, next).empty() && std::isfinite(next.loss);
    const double predicted = kArmijo * t * slope;
    const bool sufficient = finite && next.loss <= at.loss - predicted;
    const bool withinRounding = finite && predicted <= rounding && next.loss <= at.loss + rounding;
    if (sufficient || withinRounding) {
      // Cᵀ(row gradient) can overflow where the loss does not: too long a step, like an overflow.
      if (!f.finishGradient(next, order).empty() || !std::isfinite(norm2(next.gradient))) continue;
      out.accepted = true;
      out.step = t;
      out.backtracks = tries;
      return out;
    }
  }
  out.backtracks = kMaxTries;
  return out;
}

}  // namespace softnewton::detail
