#include "core/linalg.h"
#include "core/dispatch.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>

namespace softnewton {

namespace {
constexpr int64_t kBlockRows = kGramBlockRows;

// M's upper triangle += each of `count` private d × d matrices, in order.
void addPrivateGrams(int64_t d, int64_t count, const double* privateM, double* m) {
  for (int64_t b = 0; b < count; ++b) {
    const double* pm = privateM + b * d * d;
    for (int64_t j = 0; j < d; ++j)
      for (int64_t i = 0; i <= j; ++i) m[j * d + i] += pm[j * d + i];
  }
}

// What blocks write into their private matrix.
enum class PrivateStart { Zeroed, Overwritten };

// Runs block(b, target, staging) for the fixed row blocks b = 0 … blocks − 1 on up to `parts`
// threads: block 0 into M, each later one into a private d × d matrix (zeroed first by the thread
// that fills it, unless the block overwrites its upper triangle); then adds the privates to M in
// block order, so the bits do not depend on `parts`. The privates and the staging blocks live in
// `scratch`, which a solve keeps across its iterations: allocated afresh per call, their page
// faults and unmapping took 17% of an exact Newton solve at n = 10⁵, d = 1000, 20 per row (56 MB of
// privates an iteration).
template <class Block>
void runRowBlocks(int64_t d, int64_t blocks, int parts, double* m, GramScratch& scratch, PrivateStart start,
                  Block&& block) {
  const size_t words = static_cast<size_t>((blocks - 1) * d * d);
  if (scratch.privateWords < words) {
    scratch.privates.reset(new double[words]);
    scratch.privateWords = words;
  }
  if (scratch.staging.size() < static_cast<size_t>(parts)) scratch.staging.resize(parts);
  double* privateM = scratch.privates.get();
  std::atomic<int64_t> next{0};
  runParts(parts, [&](int part) {
    for (int64_t b = next.fetch_add(1); b < blocks; b = next.fetch_add(1)) {
      double* target = m;
      if (b > 0) {
        target = privateM + (b - 1) * d * d;
        if (start == PrivateStart::Zeroed) std::fill_n(target, d * d, 0.0);
      }
      block(b, target, scratch.staging[part]);
    }
  });
  addPrivateGrams(d, blocks - 1, privateM, m);
}
}  // namespace

// Columns per panel of M in accumulateSyrk: wide enough for BLAS-3 rates, narrow enough that a
// d of a few hundred still gives each thread panels to take.
constexpr int64_t kPanelColumns = 128;

void accumulateSyrk(int64_t d, int64_t k, const double* a, double alpha, double* m, const Parallel& par) {
  if (k == 0) return;
  // Many rows (a CountSketch's k × d): fixed row blocks as for the exact Gram of dense rows, one
  // whole-width dsyrk each, block 0 into M and the others into private matrices added in block
  // order. Column panels ran at 77–83 GF/s on two cores, row blocks at 90–97 (k = 10⁴–2·10⁴,
  // d = 1000; docs/performance.md).
  if (const int64_t blocks = syrkBlocks(k, d); blocks >= 2) {
    // The privates are not zeroed: each dsyrk overwrites its upper triangle (β = 0), the only part
    // added to M.
    const int ld = static_cast<int>(d);
    const int parts = static_cast<int>(std::min<int64_t>(
        blocks, par.threadsFor(static_cast<double>(k) * static_cast<double>(d) * static_cast<double>(d) / 2.0)));
    GramScratch scratch;
    runRowBlocks(d, blocks, parts, m, scratch, PrivateStart::Overwritten, [&](int64_t b, double* target, GramStaging&) {
      const int64_t r0 = k * b / blocks, r1 = k * (b + 1) / blocks;
      cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, ld, static_cast<int>(r1 - r0), alpha, a + r0 * d, ld,
                  b == 0 ? 1.0 : 0.0, target, ld);
      par.checkCancel();
    });
    return;
  }
  // A row-major k × d is a column-major d × k matrix Aᶜ; Aᵀ A = Aᶜ Aᶜᵀ. Panel [j0, j1) of the upper
  // triangle: the diagonal block by dsyrk, the rows above it by dgemm.
  const int64_t panels = (d + kPanelColumns - 1) / kPanelColumns;
  const int ld = static_cast<int>(d);
  auto panel = [&](int64_t p) {
    const int64_t j0 = p * kPanelColumns, j1 = std::min(d, j0 + kPanelColumns);
    const int width = static_cast<int>(j1 - j0);
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, width, static_cast<int>(k), alpha, a + j0, ld, 1.0,
                m + j0 + j0 * d, ld);
    if (j0 > 0)
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, static_cast<int>(j0), width, static_cast<int>(k), alpha, a,
                  ld, a + j0, ld, 1.0, m + j0 * d, ld);
  };
  // Work of panel p grows with j1: hand them out largest first.
  const double work = static_cast<double>(k) * static_cast<double>(d) * static_cast<double>(d) / 2.0;
  forEachItem(par.threadsFor(work), panels, [&](int64_t item) { panel(panels - 1 - item); });
}

namespace {

// The scattered part of the exact Gram (rows with fewer than denseRowThreshold entries) goes to
// fixed row blocks, each into a private d × d matrix, added to M in block order, when it is large
// enough to split and the private matrices fit in kGramBlockBytes; otherwise to column ranges of M
// shared by the threads. The blocks are fixed by the data, so either way every thread count gives
// the same bits. Row blocks read each row once; column ranges read every row once per thread and
// skip to their columns, which made the scatter 60% of an exact Newton iteration at n = 300k,
// d = 120, 6 entries per row (docs/performance.md).
constexpr int64_t kMaxGramBlocks = 8;
constexpr double kGramBlockWork = double(1 << 19);  // scattered multiply-adds per block, at least
constexpr double kGramBlockBytes = 64.0 * (1 << 20);

// The scattered part for rows [r0, r1) and output columns [j0, j1): only the rows' entries in that
// range. Each entry of M is updated rows in order.
// Returns false when the cancel flag stopped it, and never throws: an exception thrown inside a
// target_clones function ended in std::terminate here (GCC 12; found by test/solve.test.ts, an
// aborted solve), so no function marked SOFTNEWTON_DISPATCH may throw or allocate.
SOFTNEWTON_DISPATCH
bool scatterGramColumns(const MatrixView& c, const double* weight, int64_t r0, int64_t r1, int64_t j0, int64_t j1,
                        int64_t threshold, double* m, const Parallel& par) {
  const int64_t d = c.cols;
  const int32_t* idx = c.indices;
  const double* val = c.values;
  for (int64_t i = r0; i < r1; ++i) {
    if ((i & (kCancelCheckRows - 1)) == 0 && par.cancelled()) return false;
    const int32_t begin = c.indptr[i], end = c.indptr[i + 1];
    const double w = weight[i];
    if (w == 0.0 || end == begin || end - begin >= threshold) continue;
    int32_t p = begin;
    while (p < end && idx[p] < j0) ++p;
    for (; p < end && idx[p] < j1; ++p) {
      const double wp = w * val[p];
      double* column = m + static_cast<int64_t>(idx[p]) * d;  // column j = idx[p], rows ≤ j (upper)
      int32_t q = begin;
      // The row's column indices are distinct, so four updates can be loaded before any is stored.
      // (Every entry of M receives one addition per row: grouping a row's updates changes no bit.
      // Two columns at a time, sharing the loads of the row's entries, was 1.3× faster on one thread
      // but scaled worse: slower on two.)
      for (; q + 3 <= p; q += 4) {
        const int32_t i0 = idx[q], i1 = idx[q + 1], i2 = idx[q + 2], i3 = idx[q + 3];
        const double a0 = column[i0] + wp * val[q], a1 = column[i1] + wp * val[q + 1];
        const double a2 = column[i2] + wp * val[q + 2], a3 = column[i3] + wp * val[q + 3];
        column[i0] = a0;
        column[i1] = a1;
        column[i2] = a2;
        column[i3] = a3;
      }
      for (; q <= p; ++q) column[idx[q]] += wp * val[q];
    }
  }
  return true;
}

}  // namespace

namespace {
// M += Σ w_i c_i c_iᵀ over rows [r0, r1) that are dense or have at least `threshold` entries: D > 0
// and D < 0 apart, staged as √|D_i| c_i in blocks of kBlockRows rows for BLAS-3. `wholeWidth`: one
// dsyrk over all d columns on this thread (a dense row block); otherwise accumulateSyrk's fixed
// column panels on par's threads. Checks par's cancel flag after each block.
void stageGramRows(const MatrixView& c, const double* weight, int64_t r0, int64_t r1, int64_t threshold, double* m,
                   const Parallel& par, GramStaging& staging, bool wholeWidth) {
  const int64_t d = c.cols;
  const size_t blockSize = static_cast<size_t>(std::max<int64_t>(1, std::min(kBlockRows, r1 - r0)) * d);
  std::vector<double>& positive = staging.positive;
  std::vector<double>& negative = staging.negative;
  const int64_t blockRows = static_cast<int64_t>(blockSize) / d;
  int64_t nPositive = 0, nNegative = 0;
  auto syrk = [&](int64_t k, const double* a, double alpha) {
    if (!wholeWidth) return accumulateSyrk(d, k, a, alpha, m, par);
    if (k > 0)
      cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, static_cast<int>(d), static_cast<int>(k), alpha, a,
                  static_cast<int>(d), 1.0, m, static_cast<int>(d));
  };
  auto flush = [&]() {
    syrk(nPositive, positive.data(), 1.0);
    syrk(nNegative, negative.data(), -1.0);
    nPositive = nNegative = 0;
    par.checkCancel();
  };
  for (int64_t i = r0; i < r1; ++i) {
    const double w = weight[i];
    if (w == 0.0 || c.rowNnz(i) == 0 || (!c.isDense() && c.rowNnz(i) < threshold)) continue;
    if (positive.size() < blockSize) {  // both at once: the footprint counts both (core/footprint.cc)
      positive.resize(blockSize);
      negative.resize(blockSize);
    }
    const double scale = std::sqrt(std::fabs(w));
    if (w > 0) c.scatterRow(i, scale, positive.data() + (nPositive++) * d);
    else c.scatterRow(i, scale, negative.data() + (nNegative++) * d);
    if (nPositive == blockRows || nNegative == blockRows) flush();
  }
  flush();
}

}  // namespace

namespace {
// At most kMaxGramBlocks row blocks, and private d × d matrices (one per block but the first) within
// kGramBlockBytes.
double gramBlocksAllowed(int64_t cols) {
  const double matrixBytes = 8.0 * static_cast<double>(cols) * static_cast<double>(cols);
  return std::min(static_cast<double>(kMaxGramBlocks), 1.0 + std::floor(kGramBlockBytes / matrixBytes));
}
// Row blocks for the scattered part of the exact Gram (`scattered` multiply-adds): 0 or 1 means
// column ranges of M instead.
int64_t sparseGramBlocks(double scattered, int64_t cols) {
  return static_cast<int64_t>(std::min(gramBlocksAllowed(cols), std::floor(scattered / kGramBlockWork)));
}
}  // namespace

double exactGramScratchWords(int64_t rows, int64_t cols, int64_t nnz, bool dense, int threads) {
  const double n = static_cast<double>(rows), d2 = static_cast<double>(cols) * static_cast<double>(cols);
  auto staging = [&](double blockRows) {
    return 2.0 * std::max(1.0, std::min(static_cast<double>(kBlockRows), blockRows)) * static_cast<double>(cols);
  };
  if (dense) {
    const int64_t blocks = denseGramBlocks(rows, cols);
    if (blocks < 2) return staging(n);
    const double parts = std::min<double>(static_cast<double>(blocks), std::max(1, threads));
    return static_cast<double>(blocks - 1) * d2 + parts * staging(std::ceil(n / static_cast<double>(blocks)));
  }
  // Sparse: the scattered rows' private matrices, estimated from the mean row length, and the staging
  // sets for the rows long enough for BLAS-3.
  const double r = rows > 0 ? static_cast<double>(nnz) / n : 0.0;
  const double scattered = r < static_cast<double>(denseRowThreshold(cols)) ? 0.5 * n * r * (r + 1.0) : 0.0;
  const int64_t blocks = sparseGramBlocks(scattered, cols);
  if (blocks < 2) return staging(n);
  // Each thread taking row blocks stages its blocks' long rows in its own set.
  const double parts = std::min<double>(static_cast<double>(blocks), std::max(1, threads));
  return static_cast<double>(blocks - 1) * d2 + parts * staging(std::ceil(n / static_cast<double>(blocks)));
}

int64_t syrkBlocks(int64_t k, int64_t d) {
  // At most four: two rounds on two cores, and half the private matrices of the exact Gram's eight
  // (the k × d buffer beside them is already the sketch's largest allocation).
  constexpr int64_t kMaxSyrkBlocks = 4;
  return std::min(kMaxSyrkBlocks, denseGramBlocks(k, d));
}

double syrkScratchWords(int64_t k, int64_t d) {
  const int64_t blocks = syrkBlocks(k, d);
  return blocks >= 2 ? static_cast<double>(blocks - 1) * static_cast<double>(d) * static_cast<double>(d) : 0.0;
}

int64_t denseGramBlocks(int64_t rows, int64_t cols) {
  const double byRows = std::floor(static_cast<double>(rows) / kBlockRows);
  return static_cast<int64_t>(std::max(1.0, std::min(gramBlocksAllowed(cols), byRows)));
}

ExactGramWork exactGramWork(const MatrixView& c) {
  ExactGramWork work;
  if (c.isDense()) {
    work.staged = c.rows;
    return work;
  }
  const int64_t threshold = denseRowThreshold(c.cols);
  for (int64_t i = 0; i < c.rows; ++i) {
    const int64_t r = c.indptr[i + 1] - c.indptr[i];
    if (r < threshold) work.scattered += scatteredMultiplyAdds(r);
    else ++work.staged;
  }
  return work;
}

void accumulateGramParallel(const MatrixView& c, const double* weight, double* m, const Parallel& par,
                            GramScratch* kept) {
  GramScratch local;
  GramScratch& scratch = kept ? *kept : local;
  const int64_t d = c.cols, n = c.rows;
  const int64_t threshold = denseRowThreshold(d);
  if (c.isDense()) {
    // Fixed row blocks, each staged and multiplied on one thread into its own d × d matrix (block 0
    // into M), added in block order: the staging runs on every thread, and each thread's BLAS-3
    // call spans all d columns. Column panels shared by the threads staged on one thread and split
    // d = 200 into a 128- and a 72-wide panel (58 GF/s on two cores; d = 50 made one panel).
    const int64_t blocks = denseGramBlocks(n, d);
    if (blocks >= 2) {
      const Parallel serial{1, par.cancel};
      const int parts = static_cast<int>(std::min<int64_t>(
          blocks, par.threadsFor(static_cast<double>(n) * static_cast<double>(d) * static_cast<double>(d))));
      runRowBlocks(d, blocks, parts, m, scratch, PrivateStart::Zeroed, [&](int64_t b, double* target, GramStaging& staging) {
        stageGramRows(c, weight, n * b / blocks, n * (b + 1) / blocks, threshold, target, serial, staging, true);
      });
      return;
    }
  } else {
    // Work in scattered multiply-adds; a staged row costs what a scattered row at the threshold
    // would (where the two meet, linalg.h). Integers: these two serial loops over the rows, in
    // floating point, were most of the 4.4% of an exact Newton solve's samples (n = 10⁶, d = 50)
    // spent in this function itself; 2.5% now.
    const int64_t stagedWork = scatteredMultiplyAdds(threshold);
    const int32_t* indptr = c.indptr;
    auto rowWork = [&](int64_t i) -> int64_t {
      const int64_t r = indptr[i + 1] - indptr[i];
      return r < threshold ? scatteredMultiplyAdds(r) : stagedWork;
    };
    const ExactGramWork counted = exactGramWork(c);
    const int64_t work = counted.scattered + counted.staged * stagedWork;
    const double scattered = static_cast<double>(counted.scattered);
    const int64_t blocks = sparseGramBlocks(scattered, d);
    if (blocks >= 2) {
      // Row blocks of about equal work; block 0 goes straight into M. Each block stages its own long
      // rows too (one whole-width dsyrk on its thread): staged after the scatter on one thread, the
      // long rows of a 10-per-row problem with d = 50 (30% of them) took as long as the rest.
      std::vector<int64_t> rowBound{0};
      int64_t done = 0, nextBound = work / blocks;
      for (int64_t i = 0; i < n && static_cast<int64_t>(rowBound.size()) < blocks; ++i) {
        done += rowWork(i);
        if (done >= nextBound) {
          rowBound.push_back(i + 1);
          nextBound = static_cast<int64_t>(static_cast<double>(work) * static_cast<double>(rowBound.size()) / static_cast<double>(blocks));
        }
      }
      while (static_cast<int64_t>(rowBound.size()) <= blocks) rowBound.push_back(n);
      const Parallel serial{1, par.cancel};
      const int parts = static_cast<int>(std::min<int64_t>(blocks, par.threadsFor(static_cast<double>(work))));
      runRowBlocks(d, blocks, parts, m, scratch, PrivateStart::Zeroed, [&](int64_t b, double* target, GramStaging& staging) {
        if (!scatterGramColumns(c, weight, rowBound[b], rowBound[b + 1], 0, d, threshold, target, par))
          throw PassCancelled();
        stageGramRows(c, weight, rowBound[b], rowBound[b + 1], threshold, target, serial, staging, true);
      });
      return;
    } else {
      // Column ranges with about equal numbers of upper-triangle entries (column j has j + 1): the
      // range boundaries only balance the threads, they do not change any entry's additions.
      const int parts = par.threadsFor(scattered);
      std::vector<int64_t> bound(parts + 1, d);
      bound[0] = 0;
      for (int p = 1; p < parts; ++p)
        bound[p] = std::min<int64_t>(d, static_cast<int64_t>(std::llround(d * std::sqrt(static_cast<double>(p) / parts))));
      runParts(parts, [&](int part) {
        if (!scatterGramColumns(c, weight, 0, n, bound[part], bound[part + 1], threshold, m, par)) throw PassCancelled();
      });
    }
  }
  if (scratch.staging.empty()) scratch.staging.resize(1);
  stageGramRows(c, weight, 0, n, threshold, m, par, scratch.staging[0], false);
}

void accumulateGram(const MatrixView& c, const double* weight, const int64_t* rowList, int64_t count,
                    double* m, const Parallel& par) {
  const int64_t d = c.cols;
  const int64_t denseThreshold = denseRowThreshold(d);
  // Blocks no larger than the rows there are: a 10-row sample must not zero 2 × 2048 × d doubles.
  const int64_t blockRows = std::max<int64_t>(1, std::min(kBlockRows, count));
  std::vector<double> positive(blockRows * d), negative(blockRows * d);
  int64_t nPositive = 0, nNegative = 0;
  auto flush = [&]() {
    accumulateSyrk(d, nPositive, positive.data(), 1.0, m, par);
    accumulateSyrk(d, nNegative, negative.data(), -1.0, m, par);
    nPositive = nNegative = 0;
  };
  for (int64_t r = 0; r < count; ++r) {
    const int64_t i = rowList ? rowList[r] : r;
    const double w = rowList ? weight[r] : weight[i];
    if (w == 0.0 || c.rowNnz(i) == 0) continue;
    if (c.isDense() || c.rowNnz(i) >= denseThreshold) {
      const double scale = std::sqrt(std::fabs(w));
      if (w > 0) c.scatterRow(i, scale, positive.data() + (nPositive++) * d);
      else c.scatterRow(i, scale, negative.data() + (nNegative++) * d);
      if (nPositive == blockRows || nNegative == blockRows) flush();
    } else {
      const int32_t begin = c.indptr[i], end = c.indptr[i + 1];
      for (int32_t p = begin; p < end; ++p) {
        const double wp = w * c.values[p];
        double* column = m + static_cast<int64_t>(c.indices[p]) * d;  // column j = indices[p], rows ≤ j
        for (int32_t q = begin; q <= p; ++q) column[c.indices[q]] += wp * c.values[q];
      }
    }
  }
  flush();
}

void addRank2(int64_t d, double alpha, const double* a, double beta, const double* b, double* m) {
  const int n = static_cast<int>(d);
  if (alpha != 0.0) cblas_dsyr(CblasColMajor, CblasUpper, n, alpha, a, 1, m, n);
  if (beta != 0.0) cblas_dsyr2(CblasColMajor, CblasUpper, n, beta, a, 1, b, 1, m, n);
}

void addDiagonal(int64_t d, double value, double* m) {
  for (int64_t j = 0; j < d; ++j) m[j * d + j] += value;
}

void symmetrize(int64_t d, double* m) {
  for (int64_t j = 0; j < d; ++j)
    for (int64_t i = 0; i < j; ++i) m[j + i * d] = m[i + j * d];
}

bool cholesky(int64_t d, double* m) {
  return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', static_cast<lapack_int>(d), m, static_cast<lapack_int>(d)) == 0;
}

void choleskySolve(int64_t d, const double* r, double* rhs) {
  LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'U', static_cast<lapack_int>(d), 1, r, static_cast<lapack_int>(d), rhs,
                      static_cast<lapack_int>(d));
}

double smallestEigenvalue(int64_t d, const double* m) {
  if (d == 0) return NAN;
  std::vector<double> copy(m, m + d * d), eigenvalues(d);
  lapack_int found = 0;
  std::vector<lapack_int> support(2 * d);
  const lapack_int n = static_cast<lapack_int>(d);
  // dsyevr for the single smallest eigenvalue (il = iu = 1): O(d³) once, no eigenvectors.
  const int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'N', 'I', 'U', n, copy.data(), n, 0.0, 0.0, 1, 1, 0.0, &found,
                                  eigenvalues.data(), nullptr, 1, support.data());
  return info == 0 && found == 1 ? eigenvalues[0] : NAN;
}

}  // namespace softnewton
