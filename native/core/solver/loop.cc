#include "core/solver/loop.h"

#include <limits>

namespace softnewton::detail {

double norm2(const std::vector<double>& v) { return std::sqrt(dot(v, v)); }

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
  if (last.gradNorm <= options_.tol * initialGradNorm_) {
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
  r.trace = std::move(trace_);
  r.seconds = seconds;
  return r;
}

LineSearchOutcome lineSearch(const Objective& f, const Point& at, const std::vector<double>& p, double slope,
                             double initialStep, Point& next, std::vector<double>& cp) {
  constexpr double kArmijo = 1e-4;
  constexpr int kMaxTries = 50;
  const int64_t n = f.rows(), d = f.dim();
  cp.resize(n);
  f.matrix().multiply(p.data(), cp.data());
  const double rounding = 16.0 * std::numeric_limits<double>::epsilon() * std::fabs(at.loss);
  LineSearchOutcome out;
  double t = initialStep;
  next.x.resize(d);
  next.z.resize(n);
  for (int tries = 0; tries < kMaxTries; ++tries, t *= 0.5) {
    for (int64_t j = 0; j < d; ++j) next.x[j] = at.x[j] - t * p[j];
    for (int64_t i = 0; i < n; ++i) next.z[i] = at.z[i] - t * cp[i];
    const bool finite = f.lossFromZ(next).empty() && std::isfinite(next.loss);
    const double predicted = kArmijo * t * slope;
    const bool sufficient = finite && next.loss <= at.loss - predicted;
    const bool withinRounding = finite && predicted <= rounding && next.loss <= at.loss + rounding;
    if (sufficient || withinRounding) {
      f.finishGradient(next);
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
