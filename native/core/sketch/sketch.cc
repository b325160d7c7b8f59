// Dispatch for the sketches of M = Cᵀ diag(D) C, and the split D = D⁺ − D⁻ (docs/math.md §4).
#include "core/sketch/sketch.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "core/limits.h"
#include "core/linalg.h"
#include "core/sketch/kinds.h"

namespace softnewton {

namespace {

// c in k = ⌈c · d · ln(d + 1) / ε₀²⌉. The worst spectral error over 10 seeds follows
// ε ≈ √(c′ d ln(d + 1) / k); c′ measured on planted problems (n = 4000 and 20000, d = 20 … 50,
// densities 0.3 and 1, k = 10d … 100d):
//   leverage 1.2 … 1.7 (2.0 with heavy-tailed D, 2.8 only at k = 10d where ε ≈ 0.9);
//   OSNAP (s = 4) 1.1 … 2.1;  CountSketch 1.1 … 1.9 on incoherent rows;
//   uniform 1.1 … 1.9 on incoherent rows but 150 … 800 with heavy-tailed D (no guarantee).
// (docs/math.md §4's 0.55 / 0.3 / 0.2 at k = 20d / 50d / 100d for n = 20000, d = 50 is c′ ≈ 1.5 / 1.1 / 1.0;
// we measured 0.53 / 0.32 / 0.22 there.) c = 3 puts the worst seed near 0.75 ε₀ for leverage and
// OSNAP. CountSketch is the exception: when a few rows dominate, two of them sharing a bucket
// is an error no number of other rows averages away (its guarantee needs k = O(d²)), and c′ reached
// 12 with heavy-tailed D at n = 4000, d = 20 — use OSNAP or leverage there.
// Measured by bench/sketch-sweep.ts (node dist/bench/sketch-sweep.js); test/sketch.test.ts checks
// the worst error stays within ε₀ at this k.
constexpr double kRowsConstant = 3.0;

// The range of s, and why: core/limits.h.
constexpr int kMaxOsnapNonzeros = limits::kMaxOsnapNonzeros;

[[noreturn]] void invalid(const std::string& message) { throw std::invalid_argument(message); }

void accumulatePart(SketchKind kind, const MatrixView& c, const double* weight, const SketchOptions& options,
                    uint64_t seed, double sign, double* m) {
  const Parallel par{options.threads, options.cancelFlag};
  switch (kind) {
    case SketchKind::Leverage:
      sketch::accumulateLeverage(c, weight, options.rows, seed, sign, m, par);
      return;
    case SketchKind::CountSketch:
      sketch::accumulateCountSketch(c, weight, options.rows, 1, seed, sign, m, par, options.rowOffset);
      return;
    case SketchKind::Osnap:
      sketch::accumulateCountSketch(c, weight, options.rows, options.osnapNonzeros, seed, sign, m, par, options.rowOffset);
      return;
    case SketchKind::Uniform:
      sketch::accumulateUniform(c, weight, options.rows, seed, sign, m);
      return;
    case SketchKind::Auto:
    case SketchKind::None:
      break;
  }
  invalid("sketch: internal error, no sketch for this kind");
}

}  // namespace

const char* sketchName(SketchKind kind) {
  switch (kind) {
    case SketchKind::Auto: return "auto";
    case SketchKind::None: return "none";
    case SketchKind::Leverage: return "leverage";
    case SketchKind::CountSketch: return "countsketch";
    case SketchKind::Osnap: return "osnap";
    case SketchKind::Uniform: return "uniform";
  }
  return "unknown";
}

bool parseSketchKind(const std::string& name, SketchKind* kind) {
  for (SketchKind k : {SketchKind::Auto, SketchKind::None, SketchKind::Leverage, SketchKind::CountSketch,
                       SketchKind::Osnap, SketchKind::Uniform}) {
    if (name == sketchName(k)) {
      *kind = k;
      return true;
    }
  }
  return false;
}

SketchKind resolveAuto(const MatrixView& c, int64_t k) {
  // The rule of docs/math.md §4 (exact when Σ nnz(row)² ≤ k·d²) counts only the k × d Gram of the sample. The
  // leverage scores also cost an embedding pass and t = ⌈4 ln n⌉ + 4 probe columns per stored entry,
  // in narrow products that run well below dsyrk's rate: on this machine kind leverage sketches
  // measured 1.3–3× slower than their flop count against the exact dsyrk (n ≤ 2·10⁵, d ≤ 400;
  // bench/methods.ts). So the sketch must be estimated kLeverageOverhead = 3× cheaper in flops to
  // be chosen; exact wins otherwise, and that is the faster of the two, which is what `auto` is for.
  constexpr double kLeverageOverhead = 3.0;
  const double d = static_cast<double>(c.cols);
  const double nnz = static_cast<double>(c.nnz());
  const double probes = std::min(d, std::ceil(4.0 * std::log(std::max<double>(2.0, static_cast<double>(c.rows)))) + 4.0);
  const double leverageCost = kLeverageOverhead * (static_cast<double>(k) * d * d + nnz * (probes + 1.0));
  return c.exactGramCost() <= leverageCost ? SketchKind::None : SketchKind::Leverage;
}

namespace {
// BLAS-3 flops (dsyrk, dgemm) per stored entry streamed by a pass over C, both per thread:
// dsyrk ran at ~40 GF/s and the CSR and dense passes at ~1.5·10⁹ entries/s on this machine kind
// (AMD EPYC, AVX-512; bench/targets.ts measures both).
constexpr double kBlasFlopsPerEntry = 25.0;
// Decades of residual reduction CG delivers over a solve to 1e-8, forcing terms included: fitted to
// the paper's regime (dense n = 200k, d = 1000), where k = 10d, 20d, 25d and 40d took 17, 13, 12
// and 11 CG steps in all (docs/performance.md).
constexpr double kCgDecades = 8.5;
}  // namespace

double expectedCgSteps(double k, double d) {
  // Below 2d rows the embedding bound says little; count those as 2d (only a user's k gets there).
  const double m = std::max(2.0, k / std::max(1.0, d));
  return kCgDecades / (0.5 * std::log10(m));
}

int64_t preconditionerRows(int64_t rows, int64_t d, double nnz) {
  const double dd = static_cast<double>(std::max<int64_t>(d, 1));
  // The embedding pass costs nnz whatever m is; the Gram is formed once for the iterations that
  // keep it (newton.cc reuses it while CG takes ≤ kReuseCgSteps, which k ≥ 10d gives).
  int64_t best = kMinPreconditionerRowsPerColumn;
  double bestCost = std::numeric_limits<double>::infinity();
  for (int64_t m = kMinPreconditionerRowsPerColumn; m <= kMaxPreconditionerRowsPerColumn; ++m) {
    const double k = static_cast<double>(m) * dd;
    const double cost = std::max(nnz, 0.0) * expectedCgSteps(k, dd) + k * dd * dd / kBlasFlopsPerEntry;
    if (cost < bestCost) {
      bestCost = cost;
      best = m;
    }
  }
  return std::max<int64_t>(1, std::min<int64_t>(std::max<int64_t>(rows, 1), best * std::max<int64_t>(d, 1)));
}

SketchKind resolveAutoPreconditioner(const MatrixView& c, int64_t k) { return preconditionerCosts(c, k).choice; }

namespace {
// Units, per dense entry streamed by a pass. Per-phase times of both methods over the crossover
// grid (n = 10⁴ … 10⁶, d = 50 … 1000, sparse and dense; two threads) gave, per pass, ~0.25 ns a
// dense entry, 1.4× that a CSR entry (its index, the gathered x) and ~10 ns a row (the row's own
// work, which dominates at d = 50), and 0.43–0.97 ns a scattered multiply-add of the exact Gram at
// d ≤ 200 (docs/performance.md).
constexpr double kCsrEntryUnits = 1.4;
constexpr double kRowUnits = 40.0;
constexpr double kScatterUnits = 2.0;
}  // namespace

PreconditionerWork preconditionerWork(const MatrixView& c) {
  const double d = static_cast<double>(c.cols);
  // Staged rows are multiplied as dense rows of d entries, whatever their own count (linalg.h).
  const ExactGramWork gram = exactGramWork(c);
  PreconditionerWork work;
  work.pass = static_cast<double>(c.nnz()) * (c.isDense() ? 1.0 : kCsrEntryUnits) + static_cast<double>(c.rows) * kRowUnits;
  work.gram = kScatterUnits * static_cast<double>(gram.scattered) + static_cast<double>(gram.staged) * d * d / kBlasFlopsPerEntry;
  return work;
}

PreconditionerCosts pricePreconditioner(const PreconditionerWork& work, int64_t cols, int64_t k) {
  // Passes of each Newton iteration outside the Hessian: gradient, Cᵀ of the rank-2 term, line
  // search (measured 2–4.6 units an entry an iteration).
  constexpr double kPassesPerIteration = 3.0;
  // Newton iterations to 1e-8 in the crossover map: exact Newton took 2 or 3 (2 where the columns
  // are ill-conditioned and n ≥ 10⁵), newton-pcg 3, since its inexact steps cost it about one in
  // two solves; the model cannot tell which from C alone, so exact is charged the mean.
  constexpr double kExactIterations = 2.5;
  constexpr double kPcgIterations = 3.0;
  // And so newton-pcg must be predicted this much cheaper to be chosen. The misses are not alike:
  // where exact Newton needs its third iteration, newton-pcg won the map's near-ties by 3–4%;
  // where it needs only two, exact Newton won by 1.4–1.6× (sparse d = 200, conditioning 100).
  constexpr double kPcgMargin = 1.15;
  const double d = static_cast<double>(cols);
  const double cholesky = d * d * d / 3.0 / kBlasFlopsPerEntry;
  // Exact Newton forms its Gram and factor at every iteration. One preconditioner serves
  // newton-pcg's solve (newton.cc keeps it while CG converges fast with it): an embedding pass, its
  // k × d Gram and factor, then one fused pass per CG step.
  PreconditionerCosts costs;
  costs.exact = kExactIterations * (work.gram + cholesky + kPassesPerIteration * work.pass);
  costs.sketch = kPcgIterations * kPassesPerIteration * work.pass +
                 (1.0 + expectedCgSteps(static_cast<double>(k), d)) * work.pass +
                 static_cast<double>(k) * d * d / kBlasFlopsPerEntry + cholesky;
  costs.choice = costs.exact <= kPcgMargin * costs.sketch ? SketchKind::None : SketchKind::CountSketch;
  return costs;
}

PreconditionerCosts preconditionerCosts(const MatrixView& c, int64_t k) {
  return pricePreconditioner(preconditionerWork(c), c.cols, k);
}

int64_t sketchRowsForEpsilon(int64_t rows, int64_t d, double eps0) {
  if (!(eps0 > limits::kEps0Above && eps0 < limits::kEps0Below))
    invalid("epsilon: must be in (0, 1), got " + std::to_string(eps0));
  if (d < 1) invalid("cols: must be >= 1");
  const double dd = static_cast<double>(d);
  const double k = std::ceil(kRowsConstant * dd * std::log(dd + 1.0) / (eps0 * eps0));
  const double capped = std::min(k, static_cast<double>(std::max<int64_t>(rows, 1)));
  return std::max<int64_t>(1, static_cast<int64_t>(capped));
}

SketchReport sketchGram(const MatrixView& c, const double* D, const SketchOptions& options, double* m) {
  const int64_t n = c.rows, d = c.cols;
  SketchKind kind = options.kind;
  if (kind != SketchKind::None) {
    if (options.rows < 1) invalid("sketchRows: must be at least 1, got " + std::to_string(options.rows));
    // k reaches BLAS as an int (dsyrk), and k draws are held in memory.
    if (options.rows > INT32_MAX) invalid("sketchRows: must be below 2^31, got " + std::to_string(options.rows));
  }
  if (kind == SketchKind::Osnap) {
    const int s = options.osnapNonzeros;
    if (s < 1 || s > kMaxOsnapNonzeros)
      invalid("osnapNonzeros: must be from 1 to " + std::to_string(kMaxOsnapNonzeros) + ", got " + std::to_string(s));
    if (s > options.rows)
      invalid("osnapNonzeros: must not exceed sketchRows (" + std::to_string(options.rows) + "), got " +
              std::to_string(s));
  }
  if (options.threads < 1) invalid("threads: must be at least 1, got " + std::to_string(options.threads));
  if (n > 0 && D == nullptr) invalid("D: is required");
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(D[i])) invalid("D: must be finite (row " + std::to_string(i) + ")");
  if (kind == SketchKind::Auto) kind = resolveAuto(c, options.rows);

  SketchReport report;
  report.kind = kind;
  report.rows = kind == SketchKind::None ? n : options.rows;
  double negativeCost = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    if (D[i] < 0.0) {
      ++report.negativeRows;
      const double k = static_cast<double>(c.rowNnz(i));
      negativeCost += k * k;
    }
  }
  report.negativePart = report.negativeRows > 0 ? "exact" : "none";

  if (kind == SketchKind::None) {
    accumulateGramParallel(c, D, m, Parallel{options.threads, options.cancelFlag}, options.exactScratch);
    return report;
  }

  std::vector<double> part(n);
  for (int64_t i = 0; i < n; ++i) part[i] = std::max(D[i], 0.0);
  accumulatePart(kind, c, part.data(), options, options.seed, 1.0, m);
  if (report.negativeRows == 0) return report;

  const double dd = static_cast<double>(d);
  if (negativeCost <= static_cast<double>(options.rows) * dd * dd) {
    // Few (or sparse) negative rows: their exact Gram costs no more than the sketch's d × d work.
    std::vector<int64_t> rows;
    std::vector<double> weights;
    rows.reserve(report.negativeRows);
    weights.reserve(report.negativeRows);
    for (int64_t i = 0; i < n; ++i) {
      if (D[i] < 0.0) {
        rows.push_back(i);
        weights.push_back(D[i]);
      }
    }
    accumulateGram(c, weights.data(), rows.data(), static_cast<int64_t>(rows.size()), m);
  } else {
    // An independent sketch of Cᵀ diag(D⁻) C, subtracted: the error is then relative to
    // Cᵀ|D|C rather than to M (the κ of docs/math.md §4).
    for (int64_t i = 0; i < n; ++i) part[i] = std::max(-D[i], 0.0);
    accumulatePart(kind, c, part.data(), options, sketch::hashKey(options.seed, 0x6e6567), -1.0, m);
    report.negativePart = "sketched";
  }
  return report;
}

}  // namespace softnewton
