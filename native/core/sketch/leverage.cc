// Leverage-score sampling, the method of the paper (docs/math.md §4), for A = diag(w)^{1/2} C:
//
//  1. R from a QR of a CountSketch ΠA with m_e = max(4d, 2d + 20) rows. The scores only need to be
//     right within a constant factor (an error in them costs rows, not correctness: the sample
//     stays unbiased), and a CountSketch of O(d) rows gives that factor on the matrices we see,
//     at the cost of one pass over C. 4d keeps the embedding's distortion moderate; the 2d + 20
//     floor matters for small d, where 4d buckets are too few to average over (d = 3 would get 12).
//  2. score_i = ‖e_iᵀ A R⁻¹ G‖² with G a d × t Gaussian, t = ⌈4 ln n₊⌉ + 4 (n₊: rows that
//     contribute) — a Johnson–Lindenstrauss estimate of ‖e_iᵀ A R⁻¹‖², with relative spread about
//     √(2/t). When t ≥ d the projection saves nothing, and G = I gives the scores exactly.
//  3. Sample k rows with replacement from p_i = (1 − β) score_i / Σ score + β / n₊, β = 0.1.
//     The uniform share bounds 1/(k p_i) (so an underestimated score cannot give one row a huge
//     weight) and costs at most 1/(1 − β) ≈ 11% more rows.
//  4. Reweight by count_i / (k p_i), duplicates merged, and form M̃ with accumulateGram (BLAS-3).
#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/linalg.h"
#include "core/random.h"
#include "core/sketch/kinds.h"

namespace softnewton::sketch {

namespace {

constexpr double kUniformShare = 0.1;
// The shift μ added to (ΠAS)ᵀ(ΠAS) after scaling ΠA's columns to unit norm. It makes R invertible
// whatever the rank (a zero column, a direction the embedding lost, C without full column rank);
// a direction that is really absent from A has rows orthogonal to it up to rounding (~1e-16), so
// the shift adds nothing to any score; directions with relative singular value above √μ = 1e-6
// are unaffected. Scaling the columns first makes the shift relative per column: leverage scores
// do not change under column scaling, but an absolute shift would drown a small-scale column.
constexpr double kShift = 1e-12;
constexpr int64_t kScoreBlock = 256;
// The scoring pass works through fixed segments of this many contributing rows, whatever the
// number of threads: rows with many entries are scored in dgemm blocks of up to kScoreBlock rows
// formed within a segment, so every row's score comes from the same block, hence the same bits,
// on one thread or several. Segments are handed out to threads in order from a counter.
constexpr int64_t kScoreSegment = 8 * kScoreBlock;
// OpenBLAS runs a dgemm on one thread when m·n·k ≤ 65536 · GEMM_MULTITHREAD_THRESHOLD (4 in
// Debian's build). The score blocks are small products (rows × d by d × t): above that size each call
// hands work to OpenBLAS's threads and waits for them, and on a loaded machine that wait dominated —
// perf showed half the samples in the threads' sched_yield, and a 256-row block ran 2–10× slower
// than the same rows in single-threaded 48-row blocks (bench/REPORT.md). So blocks are cut to stay
// single-threaded when that still leaves ≥ 16 rows per call; wider problems keep 256-row blocks,
// whose calls are long enough for threads to pay.
constexpr int64_t kSingleThreadedGemm = 65536 * 4;
int64_t scoreBlockRows(int64_t d, int64_t t) {
  const int64_t single = kSingleThreadedGemm / std::max<int64_t>(1, d * t);
  return single >= 16 ? std::min(single, kScoreBlock) : kScoreBlock;
}

// T = S R⁻¹ G (d × t, row-major): the matrix that maps a row of A to its score vector.
std::vector<double> scoreMap(const MatrixView& c, const double* weight, uint64_t seed, int64_t support, int64_t* tOut,
                             const Parallel& par) {
  const int64_t d = c.cols;
  const int64_t me = std::max<int64_t>(4 * d, 2 * d + 20);
  // [ΠA S; √μ I] row-major, (me + d) × d: read column-major it is its transpose, d × (me + d),
  // whose LQ factorisation L Q gives R = Lᵀ, without the transposed copy (≥ 5d² doubles) a QR needs.
  const int64_t ld = me + d;
  std::vector<double> b(static_cast<size_t>(ld * d), 0.0);
  embedRows(c, weight, me, 1, hashKey(seed, 2), b.data(), par);

  std::vector<double> colScale(d, 0.0);
  for (int64_t r = 0; r < me; ++r)
    for (int64_t j = 0; j < d; ++j) colScale[j] += b[r * d + j] * b[r * d + j];
  for (auto& s : colScale) s = s > 0.0 ? 1.0 / std::sqrt(s) : 1.0;
  for (int64_t r = 0; r < me; ++r)
    for (int64_t j = 0; j < d; ++j) b[r * d + j] *= colScale[j];
  for (int64_t j = 0; j < d; ++j) b[(me + j) * d + j] = std::sqrt(kShift);

  std::vector<double> tau(d);
  const lapack_int dd = static_cast<lapack_int>(d), cols = static_cast<lapack_int>(ld);
  double query = 0.0;
  LAPACKE_dgelqf_work(LAPACK_COL_MAJOR, dd, cols, b.data(), dd, tau.data(), &query, -1);
  std::vector<double> work(std::max<size_t>(1, static_cast<size_t>(query)));
  const lapack_int info = LAPACKE_dgelqf_work(LAPACK_COL_MAJOR, dd, cols, b.data(), dd, tau.data(), work.data(),
                                              static_cast<lapack_int>(work.size()));

  int64_t t = static_cast<int64_t>(std::ceil(4.0 * std::log(static_cast<double>(support)))) + 4;
  const bool exact = t >= d;
  if (exact) t = d;
  std::vector<double> x(static_cast<size_t>(d * t), 0.0);  // column-major d × t
  if (exact) {
    for (int64_t j = 0; j < d; ++j) x[j + j * d] = 1.0;
  } else {
    Rng rng(Rng::derive(seed, 4));
    for (auto& v : x) v = rng.normal();
  }
  if (info == 0) {
    // X = R⁻¹ G = L⁻ᵀ G; RᵀR ⪰ μI keeps the triangle invertible, so the solve is finite.
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, static_cast<int>(d),
                static_cast<int>(t), 1.0, b.data(), static_cast<int>(d), x.data(), static_cast<int>(d));
  }
  // (info ≠ 0 only on an illegal argument, which would be a bug; G alone still gives a usable,
  // if poorer, distribution rather than garbage.)
  std::vector<double> map(static_cast<size_t>(d * t));
  for (int64_t j = 0; j < d; ++j)
    for (int64_t q = 0; q < t; ++q) map[j * t + q] = colScale[j] * x[j + q * d];
  *tOut = t;
  return map;
}

}  // namespace

void accumulateLeverage(const MatrixView& c, const double* weight, int64_t k, uint64_t seed, double sign, double* m,
                        const Parallel& par) {
  const int64_t n = c.rows, d = c.cols;
  std::vector<int64_t> support;
  for (int64_t i = 0; i < n; ++i)
    if (weight[i] > 0.0 && c.rowNnz(i) > 0) support.push_back(i);
  if (support.empty()) return;
  const int64_t ns = static_cast<int64_t>(support.size());

  int64_t t = 0;
  const std::vector<double> map = scoreMap(c, weight, seed, ns, &t, par);

  // One pass over C, touching each stored entry t times. Rows with many entries are gathered into
  // blocks and multiplied by T with dgemm (the scattered axpy runs several times slower per flop);
  // short rows are scored entry by entry, which costs t per stored entry and nothing per column.
  const int64_t denseThreshold = std::max<int64_t>(1, d / 8);  // scoring: a row costs r·t scattered or d·t by dgemm
  std::vector<double> score(ns);
  const int64_t segments = (ns + kScoreSegment - 1) / kScoreSegment;
  double work = 0.0;
  for (int64_t i : support) work += static_cast<double>(c.rowNnz(i));
  const int parts = par.threadsFor(work * static_cast<double>(t));
  forEachItem(parts, segments, [&](int64_t segment) {
    par.checkCancel();
    const int64_t begin = segment * kScoreSegment, end = std::min(ns, begin + kScoreSegment);
    // Per segment (not per thread) scratch: small next to the segment's work, and no sharing.
    const int64_t blockLimit = scoreBlockRows(d, t);
    std::vector<double> block(static_cast<size_t>(blockLimit * d)), y(static_cast<size_t>(blockLimit * t)), acc(t);
    std::vector<int64_t> blockRows;
    blockRows.reserve(blockLimit);
    auto flush = [&]() {
      const int64_t count = static_cast<int64_t>(blockRows.size());
      if (count == 0) return;
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(count), static_cast<int>(t),
                  static_cast<int>(d), 1.0, block.data(), static_cast<int>(d), map.data(), static_cast<int>(t), 0.0,
                  y.data(), static_cast<int>(t));
      for (int64_t b = 0; b < count; ++b) {
        double s = 0.0;
        for (int64_t q = 0; q < t; ++q) s += y[b * t + q] * y[b * t + q];
        score[blockRows[b]] = weight[support[blockRows[b]]] * s;
      }
      blockRows.clear();
    };
    for (int64_t r = begin; r < end; ++r) {
      const int64_t i = support[r];
      if (c.isDense() || c.rowNnz(i) >= denseThreshold) {
        c.scatterRow(i, 1.0, block.data() + static_cast<int64_t>(blockRows.size()) * d);
        blockRows.push_back(r);
        if (static_cast<int64_t>(blockRows.size()) == blockLimit) flush();
        continue;
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int32_t p = c.indptr[i]; p < c.indptr[i + 1]; ++p) {
        const double v = c.values[p];
        const double* mapRow = map.data() + static_cast<int64_t>(c.indices[p]) * t;
        for (int64_t q = 0; q < t; ++q) acc[q] += v * mapRow[q];
      }
      double s = 0.0;
      for (int64_t q = 0; q < t; ++q) s += acc[q] * acc[q];
      score[r] = weight[i] * s;
    }
    flush();
  });
  par.checkCancel();

  double total = 0.0;
  for (double s : score) total += s;
  // Scores overflow only for weights near the double range; fall back to the uniform share alone
  // rather than sample from NaNs.
  const bool usable = std::isfinite(total) && total > 0.0;
  std::vector<double> probability(ns), cumulative(ns);
  double running = 0.0;
  for (int64_t r = 0; r < ns; ++r) {
    const double p = usable ? (1.0 - kUniformShare) * score[r] / total + kUniformShare / static_cast<double>(ns)
                            : 1.0 / static_cast<double>(ns);
    probability[r] = p;
    running += p;
    cumulative[r] = running;
  }

  Rng rng(Rng::derive(seed, 5));
  std::vector<int64_t> samples(k);
  for (auto& s : samples) {
    const double u = rng.uniform() * running;
    const int64_t r = std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin();
    s = std::min(r, ns - 1);  // u can round up to `running`
  }
  std::vector<int64_t> picked, counts;
  mergeSamples(samples, picked, counts);
  std::vector<int64_t> rows(picked.size());
  std::vector<double> w(picked.size());
  for (size_t r = 0; r < picked.size(); ++r) {
    const int64_t i = support[picked[r]];
    rows[r] = i;
    // `running` is 1 up to rounding; dividing by it keeps the weights exactly consistent with the
    // distribution actually sampled.
    w[r] = sign * weight[i] * static_cast<double>(counts[r]) * running /
           (static_cast<double>(k) * probability[picked[r]]);
  }
  accumulateGram(c, w.data(), rows.data(), static_cast<int64_t>(rows.size()), m, par);
}

}  // namespace softnewton::sketch
