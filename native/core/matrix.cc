#include "core/matrix.h"
#include "core/dispatch.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace softnewton {

double MatrixView::exactGramCost() const {
  if (isDense()) return static_cast<double>(rows) * static_cast<double>(cols) * static_cast<double>(cols);
  double cost = 0.0;
  for (int64_t i = 0; i < rows; ++i) {
    const double k = static_cast<double>(indptr[i + 1] - indptr[i]);
    cost += k * k;
  }
  return cost;
}

SOFTNEWTON_DISPATCH
void MatrixView::multiply(const double* x, double* z) const {
  if (isDense()) {
    cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1.0, dense, cols, x, 1, 0.0, z, 1);
    return;
  }
  for (int64_t i = 0; i < rows; ++i) {
    // Four independent accumulators: the loop is bound by the chain of multiply-adds, not memory.
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t p = indptr[i];
    const int32_t end = indptr[i + 1];
    for (; p + 3 < end; p += 4) {
      a0 += values[p] * x[indices[p]];
      a1 += values[p + 1] * x[indices[p + 1]];
      a2 += values[p + 2] * x[indices[p + 2]];
      a3 += values[p + 3] * x[indices[p + 3]];
    }
    for (; p < end; ++p) a0 += values[p] * x[indices[p]];
    z[i] = (a0 + a1) + (a2 + a3);
  }
}

SOFTNEWTON_DISPATCH
void MatrixView::multiplyTransposed(const double* r, double* g) const {
  if (isDense()) {
    cblas_dgemv(CblasRowMajor, CblasTrans, rows, cols, 1.0, dense, cols, r, 1, 0.0, g, 1);
    return;
  }
  std::memset(g, 0, sizeof(double) * cols);
  for (int64_t i = 0; i < rows; ++i) {
    const double ri = r[i];
    if (ri == 0.0) continue;
    for (int32_t p = indptr[i]; p < indptr[i + 1]; ++p) g[indices[p]] += values[p] * ri;
  }
}

RowBlocks makeRowBlocks(const MatrixView& c) {
  RowBlocks blocks;
  const double total = static_cast<double>(c.nnz()) + static_cast<double>(kRowWork) * static_cast<double>(c.rows);
  const double target = std::max(static_cast<double>(kMinBlockWork), total / static_cast<double>(kMaxRowBlocks));
  blocks.start.push_back(0);
  double work = 0.0;
  for (int64_t i = 0; i < c.rows; ++i) {
    work += static_cast<double>(c.rowNnz(i) + kRowWork);
    if (work >= target && i + 1 < c.rows) {
      blocks.start.push_back(i + 1);
      work = 0.0;
    }
  }
  blocks.start.push_back(c.rows);
  return blocks;
}

namespace {
// out[j·K + c] += Σ_i C_ij r[c][i] over dense rows [begin, end), four rows per sweep of the output.
// Inlined into the dispatched transposedRows, so it is vectorised for each CPU clone.
template <int K>
inline void denseTransposedRows(const double* dense, int64_t d, const double* const* r, int64_t begin, int64_t end,
                                double* out) {
  int64_t i = begin;
  for (; i + 4 <= end; i += 4) {
    const double* a0 = dense + i * d;
    const double* a1 = a0 + d;
    const double* a2 = a1 + d;
    const double* a3 = a2 + d;
    double w[K][4];
    for (int c = 0; c < K; ++c)
      for (int q = 0; q < 4; ++q) w[c][q] = r[c][i + q];
    for (int64_t j = 0; j < d; ++j) {
      for (int c = 0; c < K; ++c) {
        double t = out[j * K + c];
        t += a0[j] * w[c][0];
        t += a1[j] * w[c][1];
        t += a2[j] * w[c][2];
        t += a3[j] * w[c][3];
        out[j * K + c] = t;
      }
    }
  }
  for (; i < end; ++i) {
    const double* a = dense + i * d;
    for (int64_t j = 0; j < d; ++j)
      for (int c = 0; c < K; ++c) out[j * K + c] += a[j] * r[c][i];
  }
}

// Rows with fewer stored entries use one accumulator in multiplyRows.
constexpr int32_t kShortRow = 12;

// Rows of at most kLanes stored entries run as a body of exactly kLanes entries: the lanes past the
// row's end read the next rows' entries (inside the view, always valid indices) and contribute an
// exact zero. Sparse rows vary in length (binomial, for planted data), and a loop whose trip count
// varies mispredicts its exit on most rows: 2.9 against 1.8 ms for z = Cx at 300k rows of about 6
// entries, against rows of exactly 6 (one thread). docs/performance.md.
constexpr int32_t kLanes = 8;

// Whether row [p, p + len) can run as a kLanes-wide body inside the view's entries [.., last).
inline bool fitsLanes(int32_t p, int32_t len, int32_t last) { return len <= kLanes && p <= last - kLanes; }

// The lanes past the row's end are set to exactly 0 by one vector select after the product (so an
// overflowing product there is dropped, as in the plain loop): written as scalar selects, GCC turns
// them back into a branch per lane.
typedef double Lanes __attribute__((vector_size(kLanes * sizeof(double))));
typedef int64_t LaneMask __attribute__((vector_size(kLanes * sizeof(int64_t))));
// (By reference: a 64-byte vector passed by value draws GCC's ABI note.)
inline void keepLanes(int32_t len, Lanes& v) {
  const LaneMask lane = {0, 1, 2, 3, 4, 5, 6, 7};
  v = lane < static_cast<int64_t>(len) ? v : Lanes{};
}

// Σ values·x over the row's lanes, added as a fixed tree (every CPU clone rounds alike).
inline double laneDot(const double* values, const int32_t* indices, int32_t p, int32_t len, const double* x) {
  Lanes a;
  for (int q = 0; q < kLanes; ++q) a[q] = values[p + q] * x[indices[p + q]];
  keepLanes(len, a);
  return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

// out[j·K + c] += C_ij r_c over the row's lanes; a lane past the end adds an exact zero to some
// column of a later row (y + 0 = y), so no branch depends on the row's length.
template <int K>
inline void laneScatter(const double* values, const int32_t* indices, int32_t p, int32_t len, const double* r,
                        double* out) {
  Lanes v, product[K];
  for (int q = 0; q < kLanes; ++q) v[q] = values[p + q];
  for (int c = 0; c < K; ++c) {
    product[c] = v * r[c];
    keepLanes(len, product[c]);
  }
  for (int q = 0; q < kLanes; ++q) {
    double* o = out + static_cast<int64_t>(indices[p + q]) * K;
    for (int c = 0; c < K; ++c) o[c] += product[c][q];
  }
}
}  // namespace

SOFTNEWTON_DISPATCH
void MatrixView::multiplyRows(const double* x, double* z, int64_t begin, int64_t end) const {
  if (begin >= end) return;
  if (isDense()) {
    // One thread's BLAS call on its own rows: the library runs single-threaded (docs/performance.md).
    cblas_dgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(end - begin), static_cast<int>(cols), 1.0,
                dense + begin * cols, static_cast<int>(cols), x, 1, 0.0, z + begin, 1);
    return;
  }
  const int32_t last = indptr[rows];
  for (int64_t i = begin; i < end; ++i) {
    int32_t p = indptr[i];
    const int32_t stop = indptr[i + 1];
    if (fitsLanes(p, stop - p, last)) {
      z[i] = laneDot(values, indices, p, stop - p, x);
      continue;
    }
    if (stop - p < kShortRow) {
      // A short row's setup costs more than its chain of multiply-adds: one accumulator (6 entries
      // per row: 2.7 ms against 3.4 ms for four accumulators, 300k rows, one thread).
      double a = 0;
      for (; p < stop; ++p) a += values[p] * x[indices[p]];
      z[i] = a;
      continue;
    }
    // Four independent accumulators: a long row is bound by the chain of multiply-adds, not memory.
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (; p + 3 < stop; p += 4) {
      a0 += values[p] * x[indices[p]];
      a1 += values[p + 1] * x[indices[p + 1]];
      a2 += values[p + 2] * x[indices[p + 2]];
      a3 += values[p + 3] * x[indices[p + 3]];
    }
    for (; p < stop; ++p) a0 += values[p] * x[indices[p]];
    z[i] = (a0 + a1) + (a2 + a3);
  }
}

SOFTNEWTON_DISPATCH
void MatrixView::normalRows(const double* __restrict x, const double* __restrict weight, double* __restrict t,
                            double* __restrict out, int64_t begin, int64_t end) const {
  // Row by row: the dot product, then the row added to out while it is still in L1. The row
  // kNormalAhead rows on is meanwhile asked into L2, a line per line added (the dot product's wait
  // on memory does not overlap the update otherwise); into L2 because rows of several KB asked
  // into L1 evicted the row in use. 32 lanes of partial sums: one accumulator chain per lane
  // bounded the dot product by the add latency. Against dgemv on 1 MB chunks read twice: 58 against
  // 63 ms a pass (n = 200k, d = 1000, two threads; docs/performance.md).
  constexpr int kDotLanes = 32;
  constexpr int kLine = 8;
  constexpr int64_t kNormalAhead = 4;
  const int64_t full = cols / kDotLanes * kDotLanes;
  for (int64_t i = begin; i < end; ++i) {
    const double* __restrict row = dense + i * cols;
    double lane[kDotLanes] = {};
    for (int64_t j = 0; j < full; j += kDotLanes)
      for (int l = 0; l < kDotLanes; ++l) lane[l] += row[j + l] * x[j + l];
    for (int width = kDotLanes / 2; width >= 1; width /= 2)
      for (int l = 0; l < width; ++l) lane[l] += lane[l + width];
    double dot = lane[0];
    for (int64_t j = full; j < cols; ++j) dot += row[j] * x[j];
    t[i] = dot;
    const double w = weight[i] * dot;
    const double* ahead = dense + std::min(i + kNormalAhead, end - 1) * cols;
    int64_t j = 0;
    for (; j + kLine <= cols; j += kLine) {
      __builtin_prefetch(ahead + j, 0, 1);
      for (int l = 0; l < kLine; ++l) out[j + l] += w * row[j + l];
    }
    for (; j < cols; ++j) out[j] += w * row[j];
  }
}

SOFTNEWTON_DISPATCH
void MatrixView::transposedRows(const double* const* r, int k, int64_t begin, int64_t end, double* out) const {
  std::memset(out, 0, sizeof(double) * cols * k);
  if (begin >= end) return;
  if (isDense()) {
    const int m = static_cast<int>(end - begin);
    if (k == 1) {
      cblas_dgemv(CblasRowMajor, CblasTrans, m, static_cast<int>(cols), 1.0, dense + begin * cols,
                  static_cast<int>(cols), r[0] + begin, 1, 0.0, out, 1);
      return;
    }
    // Four rows at a time into the interleaved output, each output value kept in a register across
    // the four (added in row order, as row by row): C is read once, and the output, k·d doubles,
    // is read and written once per four rows. One dgemm with k columns packed C first and ran at a
    // third of the memory rate (150 against 54 ms for n = 200k, d = 1000); a dgemv per column on
    // chunks in L2 took 82.
    if (k == 2)
      denseTransposedRows<2>(dense, cols, r, begin, end, out);
    else
      denseTransposedRows<3>(dense, cols, r, begin, end, out);
    return;
  }
  const int32_t last = indptr[rows];
  if (k == 1) {
    for (int64_t i = begin; i < end; ++i) {
      const double ri = r[0][i];
      const int32_t p0 = indptr[i], len = indptr[i + 1] - p0;
      if (fitsLanes(p0, len, last)) {
        laneScatter<1>(values, indices, p0, len, &ri, out);
        continue;
      }
      if (ri == 0.0) continue;
      for (int32_t p = indptr[i]; p < indptr[i + 1]; ++p) out[indices[p]] += values[p] * ri;
    }
    return;
  }
  if (k == 2) {
    for (int64_t i = begin; i < end; ++i) {
      const double r0 = r[0][i], r1 = r[1][i];
      const int32_t p0 = indptr[i], len = indptr[i + 1] - p0;
      if (fitsLanes(p0, len, last)) {
        const double ri[2] = {r0, r1};
        laneScatter<2>(values, indices, p0, len, ri, out);
        continue;
      }
      for (int32_t p = indptr[i]; p < indptr[i + 1]; ++p) {
        double* o = out + static_cast<int64_t>(indices[p]) * 2;
        o[0] += values[p] * r0;
        o[1] += values[p] * r1;
      }
    }
    return;
  }
  for (int64_t i = begin; i < end; ++i) {
    // Three columns: the lanes' padding costs as much as the mispredicted exits it saves (3.4 ms
    // either way at 300k rows of about 6 entries), so the plain loop.
    const double r0 = r[0][i], r1 = r[1][i], r2 = r[2][i];
    for (int32_t p = indptr[i]; p < indptr[i + 1]; ++p) {
      double* o = out + static_cast<int64_t>(indices[p]) * 3;
      const double v = values[p];
      o[0] += v * r0;
      o[1] += v * r1;
      o[2] += v * r2;
    }
  }
}

void MatrixView::scatterRow(int64_t i, double scale, double* out) const {
  if (isDense()) {
    const double* row = dense + i * cols;
    for (int64_t j = 0; j < cols; ++j) out[j] = scale * row[j];
    return;
  }
  std::memset(out, 0, sizeof(double) * cols);
  for (int32_t p = indptr[i]; p < indptr[i + 1]; ++p) out[indices[p]] = scale * values[p];
}

std::string validate(const MatrixView& c, int64_t indicesLength, int64_t valuesLength,
                     int64_t denseLength) {
  if (c.rows < 0 || c.cols < 1) return "C: rows must be >= 0 and cols >= 1";
  if (c.cols > INT32_MAX) return "C.cols: must be below 2^31";
  if (c.isDense()) {
    if (c.rows > 0 && c.cols > INT64_MAX / c.rows) return "C: rows * cols overflows";
    if (denseLength != c.rows * c.cols) return "C.data: length must be rows * cols";
  } else {
    // indices and values may be null when they are empty (a zero-length typed array has no
    // storage): a matrix with no stored entries is legal.
    if (!c.indptr || (!c.indices && indicesLength > 0) || (!c.values && valuesLength > 0))
      return "C: CSR arrays are missing";
    if (c.indptr[0] != 0) return "C.indptr: must start at 0";
    for (int64_t i = 0; i < c.rows; ++i) {
      if (c.indptr[i + 1] < c.indptr[i]) return "C.indptr: must be non-decreasing (row " + std::to_string(i) + ")";
    }
    const int64_t nnz = c.indptr[c.rows];
    if (nnz != indicesLength) return "C.indptr: last entry must equal the length of C.indices";
    if (nnz != valuesLength) return "C.values: length must equal the length of C.indices";
    for (int64_t i = 0; i < c.rows; ++i) {
      int64_t previous = -1;
      for (int32_t p = c.indptr[i]; p < c.indptr[i + 1]; ++p) {
        const int64_t j = c.indices[p];
        if (j < 0 || j >= c.cols) return "C.indices: column index out of range in row " + std::to_string(i);
        if (j <= previous) return "C.indices: must be strictly increasing within a row (row " + std::to_string(i) + ")";
        previous = j;
      }
    }
  }
  const int64_t count = c.isDense() ? denseLength : valuesLength;
  const double* v = c.isDense() ? c.dense : c.values;
  for (int64_t p = 0; p < count; ++p) {
    if (!std::isfinite(v[p])) return c.isDense() ? "C.data: must be finite" : "C.values: must be finite";
  }
  return "";
}

}  // namespace softnewton
