#include "core/linalg.h"
#include "core/dispatch.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace softnewton {

namespace {
constexpr int64_t kBlockRows = 2048;
}

void accumulateSyrk(int64_t d, int64_t k, const double* a, double alpha, double* m) {
  if (k == 0) return;
  // A row-major k × d is a column-major d × k matrix Aᶜ; Aᵀ A = Aᶜ Aᶜᵀ.
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, static_cast<int>(d), static_cast<int>(k), alpha, a,
              static_cast<int>(d), 1.0, m, static_cast<int>(d));
}

SOFTNEWTON_DISPATCH
void accumulateGram(const MatrixView& c, const double* weight, const int64_t* rowList, int64_t count,
                    double* m) {
  const int64_t d = c.cols;
  // A row is "dense enough" for BLAS-3 when its outer product is a sizeable share of d²:
  // the scattered update runs roughly 50× slower per flop than dsyrk.
  const int64_t denseThreshold = std::max<int64_t>(1, d / 8);
  // Blocks no larger than the rows there are: a 10-row sample must not zero 2 × 2048 × d doubles.
  const int64_t blockRows = std::max<int64_t>(1, std::min(kBlockRows, count));
  std::vector<double> positive(blockRows * d), negative(blockRows * d);
  int64_t nPositive = 0, nNegative = 0;
  auto flush = [&]() {
    accumulateSyrk(d, nPositive, positive.data(), 1.0, m);
    accumulateSyrk(d, nNegative, negative.data(), -1.0, m);
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
