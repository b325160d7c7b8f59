// approx-newton, newton and newton-pcg: one loop, three ways to get the direction.
//   approx-newton: p = H̃⁻¹ g, H̃ = sketched Cᵀ diag(D) C + exact rank-2 and ridge terms.
//   newton:        the same with the exact product (sketch `none`).
//   newton-pcg:    p solves ∇²L p = g by CG preconditioned with the Cholesky factor of H̃.
// When the Cholesky of H̃ fails, μI is added and raised until it succeeds (Levenberg–Marquardt).
#include <algorithm>
#include <cstring>
#include <limits>

#include "core/linalg.h"
#include "core/random.h"
#include "core/solver/loop.h"
#include "core/solver/methods.h"

namespace softnewton::detail {

// Factors h + μI into `factor`, raising μ from a tenth of the last successful value (or 0) by
// factors of 10 until the Cholesky succeeds. Returns false when even μ = 1e8 · max|diag(h)| fails.
bool factorWithDamping(int64_t d, const std::vector<double>& h, std::vector<double>& factor, double* mu) {
  // The damping schedule, relative to scale = max|diag(h)| (docs/math.md §5): μ starts a tenth below
  // the last successful value, is dropped to 0 below kForgetBelow·scale, then runs from kFirst·scale
  // to kLast·scale by kGrowth; kMaxTries bounds the loop whatever the arithmetic does.
  constexpr double kShrink = 10.0;
  constexpr double kForgetBelow = 1e-12;
  constexpr double kFirst = 1e-8;
  constexpr double kLast = 1e8;
  constexpr double kGrowth = 10.0;
  constexpr int kMaxTries = 40;
  double scale = 0.0;
  for (int64_t j = 0; j < d; ++j) scale = std::max(scale, std::fabs(h[j * d + j]));
  if (!(scale > 0)) scale = 1.0;
  // With an infinite diagonal, or one past ~1e300, 1e8·scale is +Inf and trial·10 reaches +Inf and
  // stays there: without these guards the loop never ended.
  if (!std::isfinite(scale)) return false;
  // OpenBLAS's dpotrf accepts a NaN on the diagonal and returns a NaN factor as a success.
  for (double v : h)
    if (!std::isfinite(v)) return false;
  const double limit = kLast * scale;
  double trial = *mu / kShrink;
  if (trial < kForgetBelow * scale) trial = 0.0;
  // At most 0, then 1e-8·scale … 1e8·scale: 18 tries. The cap also ends the loop where 1e-8·scale
  // underflows to 0 (a subnormal diagonal: found by property tests, it looped forever on trial = 0);
  // the first non-zero trial is then the smallest normal double.
  for (int tries = 0; tries < kMaxTries && trial <= limit && std::isfinite(trial); ++tries) {
    factor = h;
    addDiagonal(d, trial, factor.data());
    if (cholesky(d, factor.data())) {
      *mu = trial;
      return true;
    }
    trial = trial == 0.0 ? std::max(kFirst * scale, std::numeric_limits<double>::min()) : trial * kGrowth;
  }
  return false;
}

namespace {

// The largest relative residual CG may stop at. Each outer iteration pays for a sketch, a Cholesky
// and a line search, while a CG step costs two passes: a loose first solve (0.5, Eisenstat–Walker's
// usual cap) took 5 outer iterations where exact Newton took 2, 0.01 took 3 with fewer passes in all
// (dense n = 50k, d = 500, sigmoid; docs/performance.md).
constexpr double kMaxForcing = 0.01;

// newton-pcg reuses its preconditioner for the next Newton iteration when CG needed at most this
// many steps with it (a fresh k = 10d sketch needs 4–8 per iteration; docs/performance.md).
constexpr int kReuseCgSteps = 10;

struct PcgOutcome {
  int iterations = 0;
  double secondsSparse = 0, secondsDense = 0;
};

// The n-vectors of newton-pcg's CG: C p, summed step by step from C·dir (which each
// Hessian–vector product computes anyway), so the line search needs no pass of its own for it.
struct CgRows {
  std::vector<double> cp, cdir;
};

// Solves (∇²L + μI) p = g by CG preconditioned with R from cholesky(H̃ + μI), to a relative residual
// η = min(kMaxForcing, ‖g‖/‖g₀‖): a forcing term of order ‖g‖ keeps Newton's quadratic rate (Eisenstat–
// Walker). On negative curvature CG stops; if that happens at once, p is the preconditioned gradient.
// On return rows.cp = C p.
PcgOutcome preconditionedCg(const Objective& f, const Point& at, const std::vector<double>& factor, double mu,
                            double initialGradNorm, double targetGradNorm, int maxIterations, std::vector<double>& p,
                            Scratch& scratch, CgRows& rows, const int32_t* cancel) {
  const int64_t d = f.dim(), n = f.rows();
  rows.cp.assign(n, 0.0);
  rows.cdir.resize(n);
  PcgOutcome out;
  Stopwatch clock;
  const std::vector<double>& g = at.gradient;
  const double gNorm = norm2(g);
  // Never more accurate than the stopping rule needs: a residual below half the target gradient norm
  // makes the next gradient meet it (to first order), so CG stops there at the latest.
  const double forcing = std::min(kMaxForcing, initialGradNorm > 0 ? gNorm / initialGradNorm : kMaxForcing);
  const double enough = gNorm > 0 ? 0.5 * targetGradNorm / gNorm : 0.0;
  const double eta = std::min(kMaxForcing, std::max(forcing, enough));
  std::vector<double> r = g, z = g, dir(d), hd(d);  // d-vectors; the n-vector scratch is the caller's
  choleskySolve(d, factor.data(), z.data());
  out.secondsDense += clock.lap();
  dir = z;
  std::fill(p.begin(), p.end(), 0.0);
  double rz = dot(r, z);
  for (int i = 0; i < maxIterations; ++i) {
    // A raised cancel flag ends CG early (each step is two passes over C); the loop then stops
    // after this iteration's line search, within one iteration as promised.
    if (i > 0 && cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0) break;
    f.hessianVector(at, dir.data(), hd.data(), scratch, rows.cdir.data());
    for (int64_t j = 0; j < d; ++j) hd[j] += mu * dir[j];
    out.secondsSparse += clock.lap();
    const double curvature = dot(dir, hd);
    out.iterations = i + 1;
    if (!(curvature > 0)) {
      if (i == 0) {
        p = z;  // = dir
        rows.cp = rows.cdir;
      }
      break;
    }
    const double a = rz / curvature;
    for (int64_t j = 0; j < d; ++j) {
      p[j] += a * dir[j];
      r[j] -= a * hd[j];
    }
    for (int64_t k = 0; k < n; ++k) rows.cp[k] += a * rows.cdir[k];
    if (norm2(r) <= eta * gNorm) break;
    z = r;
    choleskySolve(d, factor.data(), z.data());
    const double rzNext = dot(r, z);
    const double beta = rzNext / rz;
    rz = rzNext;
    for (int64_t j = 0; j < d; ++j) dir[j] = z[j] + beta * dir[j];
    out.secondsDense += clock.lap();
  }
  out.secondsDense += clock.lap();
  return out;
}

}  // namespace

SolveResult solveNewton(const Objective& f, const std::vector<double>& x0, const SolverOptions& o,
                        const TraceSink& sink) {
  const int64_t d = f.dim(), n = f.rows();
  Stopwatch total;
  Run run(f, o, sink);
  Point at, next;
  if (std::string overflow = f.evaluate(x0.data(), at, Order::Hessian); !overflow.empty())
    return startOverflow(run, at, overflow);
  run.record(at, TraceRow{});
  const double initialGradNorm = norm2(at.gradient);

  SketchOptions sketch = o.sketch;
  if (o.method == Method::Newton) sketch.kind = SketchKind::None;
  // The sketch's size follows its role (docs/math.md §4): approx-newton steps with H̃ and needs the
  // (1 ± ε₀) approximation; newton-pcg only preconditions CG, where a few d rows do.
  const bool preconditioner = o.method == Method::NewtonPcg;
  if (sketch.rows == 0) {
    // The derived k is capped at n; OSNAP still needs at least s buckets.
    sketch.rows = std::max<int64_t>(preconditioner ? preconditionerRows(n, d, static_cast<double>(f.matrix().nnz())) : sketchRowsForEpsilon(n, d, o.eps0),
                                    sketch.osnapNonzeros);
  }
  if (sketch.kind == SketchKind::Auto)
    sketch.kind = preconditioner ? resolveAutoPreconditioner(f.matrix(), sketch.rows) : resolveAuto(f.matrix(), sketch.rows);
  sketch.cancelFlag = o.cancelFlag;  // long row passes stop inside the sketch (PassCancelled)
  sketch.threads = f.execution().threads;
  // Spread over processes, each hashes its rows by their index in the whole problem: the blocks are
  // then independent sketches (docs/distributed.md).
  if (f.execution().reduction) sketch.rowOffset = f.execution().reduction->rowOffset();
  GramScratch gramScratch;  // the exact Gram's buffers, kept for the solve
  sketch.exactScratch = &gramScratch;

  std::vector<double> h(d * d), factor, p(d);
  CgRows cgRows;  // cgRows.cp is also the line search's C p
  SketchReport report;
  bool havePreconditioner = false;
  int lastCgSteps = 0;
  Scratch cgScratch;
  double mu = 0.0;
  StopReason reason;
  while (!run.shouldStop(&reason)) {
    TraceRow row;
    Stopwatch lap;
    // A no-op after evaluate or the line search, which computed CᵀU in their fused Cᵀ pass.
    if (std::string overflow = f.prepareHessian(at); !overflow.empty())
      return run.finish(at, StopReason::Overflow, overflow, total.seconds());
    row.secondsSparse += lap.lap();

    // newton-pcg keeps the last preconditioner while CG converges fast with it: it only has to stay
    // spectrally close to the Hessian, which moves little once the iteration is local, and a new
    // sketch costs an embedding pass and a k × d Gram (docs/performance.md). Deterministic: the
    // decision follows CG's step counts, never a clock.
    const bool reuse = preconditioner && havePreconditioner && report.kind != SketchKind::None && mu == 0.0 &&
                       lastCgSteps <= kReuseCgSteps;
    if (reuse) {
      row.sketch = report.kind;
      row.sketchRows = report.rows;
      row.negativePart = report.negativePart;
      row.mu = mu;
    }
    if (!reuse) {
    std::fill(h.begin(), h.end(), 0.0);
    sketch.seed = Rng::derive(o.seed, static_cast<uint64_t>(run.iterations()));
    try {
      report = sketchGram(f.matrix(), at.terms.D.data(), sketch, h.data());
      // Each process sketched (or formed exactly) its own rows' part: the sum of the d × d Grams is
      // the exact product, or a block sketch of it.
      reduceSum(f.execution().reduction, h.data(), d * d);
    } catch (const PassCancelled&) {
      return run.finish(at, StopReason::Cancelled, "", total.seconds());
    }
    row.sketch = report.kind;
    row.sketchRows = report.rows;
    row.negativePart = report.negativePart;
    row.secondsSketch += lap.lap();

    f.addStructuredTerms(at, h.data());
    if (!std::all_of(h.begin(), h.end(), [](double v) { return std::isfinite(v); }))
      return run.finish(at, StopReason::Overflow,
                        "the Hessian approximation overflows at this point (entries of C or D too large for doubles)",
                        total.seconds());
    if (!factorWithDamping(d, h, factor, &mu))
      return run.finish(at, StopReason::Indefinite,
                        "the Hessian approximation stayed indefinite with damping up to 1e8 times its largest diagonal entry",
                        total.seconds());
    row.mu = mu;
    havePreconditioner = true;
    }
    // With the exact product the factor is the Newton system's own: CG would stop after one step
    // at what the triangular solves give directly.
    bool cpKnown = false;
    if (o.method == Method::NewtonPcg && report.kind != SketchKind::None) {
      row.secondsDense += lap.lap();
      const double target = std::max(o.tol * initialGradNorm, o.atol);
      const PcgOutcome cg = preconditionedCg(f, at, factor, mu, initialGradNorm, target, o.maxInnerIterations, p, cgScratch,
                                             cgRows, o.cancelFlag);
      cpKnown = true;
      row.innerIterations = cg.iterations;
      lastCgSteps = cg.iterations;
      row.secondsSparse += cg.secondsSparse;
      row.secondsDense += cg.secondsDense;
      lap.lap();
    } else {
      p = at.gradient;
      choleskySolve(d, factor.data(), p.data());
      row.secondsDense += lap.lap();
    }

    double slope = dot(at.gradient, p);
    if (!(slope > 0)) {
      cpKnown = false;
      // Not a descent direction (rounding, or CG's last iterate under negative curvature): fall
      // back to the preconditioned gradient, which is one since the factor is positive definite.
      p = at.gradient;
      choleskySolve(d, factor.data(), p.data());
      slope = dot(at.gradient, p);
    }
    row.decrement = std::sqrt(std::max(slope, 0.0));
    const LineSearchOutcome ls = lineSearch(f, at, p, slope, 1.0, Order::Hessian, next, cgRows.cp, cpKnown);
    row.secondsSparse += lap.lap();
    if (!ls.accepted)
      return run.finish(at, StopReason::LineSearchFailed,
                        "no step along the Newton direction decreased the loss (Newton decrement " +
                            std::to_string(row.decrement) + ")",
                        total.seconds());
    std::swap(at, next);
    row.step = ls.step;
    row.backtracks = ls.backtracks;
    row.seconds = row.secondsSparse + row.secondsSketch + row.secondsDense;
    run.record(at, row);
  }
  return run.finish(at, reason, "", total.seconds());
}

}  // namespace softnewton::detail
