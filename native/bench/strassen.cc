#include "bench/strassen.h"

#include <cblas.h>

#include <vector>

namespace softnewton {

namespace {

// out = x + sign · y, element-wise over rows × cols.
void combine(int64_t rows, int64_t cols, const double* x, int64_t ldx, const double* y, int64_t ldy, double sign,
             double* out, int64_t ldo) {
  for (int64_t i = 0; i < rows; ++i) {
    const double* xr = x + i * ldx;
    const double* yr = y + i * ldy;
    double* o = out + i * ldo;
    for (int64_t j = 0; j < cols; ++j) o[j] = xr[j] + sign * yr[j];
  }
}

void gemm(int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b, int64_t ldb, double* c,
          int64_t ldc) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), 1.0, a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0, c,
              static_cast<int>(ldc));
}

}  // namespace

void strassenMultiply(int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b, int64_t ldb,
                      double* c, int64_t ldc, int64_t cutoff) {
  if (m < cutoff || n < cutoff || k < cutoff || (m | n | k) & 1) {
    gemm(m, n, k, a, lda, b, ldb, c, ldc);
    return;
  }
  const int64_t m2 = m / 2, n2 = n / 2, k2 = k / 2;
  const double *a11 = a, *a12 = a + k2, *a21 = a + m2 * lda, *a22 = a + m2 * lda + k2;
  const double *b11 = b, *b12 = b + n2, *b21 = b + k2 * ldb, *b22 = b + k2 * ldb + n2;
  double *c11 = c, *c12 = c + n2, *c21 = c + m2 * ldc, *c22 = c + m2 * ldc + n2;
  // Winograd's schedule: S on A's blocks, T on B's, seven products, then U from the products.
  std::vector<double> sa(m2 * k2), sb(k2 * n2), p(m2 * n2), q(m2 * n2);
  // S1 = A21 + A22, T1 = B12 − B11: M5 = S1 T1 → kept in C22 for now, and C12 = M5 later.
  combine(m2, k2, a21, lda, a22, lda, 1.0, sa.data(), k2);
  combine(k2, n2, b12, ldb, b11, ldb, -1.0, sb.data(), n2);
  strassenMultiply(m2, n2, k2, sa.data(), k2, sb.data(), n2, c22, ldc, cutoff);  // c22 = M5
  // S2 = S1 − A11, T2 = B22 − T1: M6 = S2 T2 → q.
  combine(m2, k2, sa.data(), k2, a11, lda, -1.0, sa.data(), k2);
  combine(k2, n2, b22, ldb, sb.data(), n2, -1.0, sb.data(), n2);
  strassenMultiply(m2, n2, k2, sa.data(), k2, sb.data(), n2, q.data(), n2, cutoff);  // q = M6
  // M1 = A11 B11 → p; U2 = M1 + M6 → q.
  strassenMultiply(m2, n2, k2, a11, lda, b11, ldb, p.data(), n2, cutoff);
  combine(m2, n2, q.data(), n2, p.data(), n2, 1.0, q.data(), n2);  // q = U2
  // M2 = A12 B21 → c11; C11 = U1 = M1 + M2.
  strassenMultiply(m2, n2, k2, a12, lda, b21, ldb, c11, ldc, cutoff);
  combine(m2, n2, c11, ldc, p.data(), n2, 1.0, c11, ldc);
  // S4 = A12 − S2 (sa holds S2), M3 = S4 B22 → p.
  combine(m2, k2, a12, lda, sa.data(), k2, -1.0, sa.data(), k2);
  strassenMultiply(m2, n2, k2, sa.data(), k2, b22, ldb, p.data(), n2, cutoff);  // p = M3
  // U4 = U2 + M5; C12 = U5 = U4 + M3.
  combine(m2, n2, q.data(), n2, c22, ldc, 1.0, c12, ldc);
  combine(m2, n2, c12, ldc, p.data(), n2, 1.0, c12, ldc);
  // S3 = A11 − A21, T3 = B22 − B12, M7 = S3 T3 → p; U3 = U2 + M7 → q.
  combine(m2, k2, a11, lda, a21, lda, -1.0, sa.data(), k2);
  combine(k2, n2, b22, ldb, b12, ldb, -1.0, sb.data(), n2);
  strassenMultiply(m2, n2, k2, sa.data(), k2, sb.data(), n2, p.data(), n2, cutoff);
  combine(m2, n2, q.data(), n2, p.data(), n2, 1.0, q.data(), n2);  // q = U3
  // C22 = U7 = U3 + M5.
  combine(m2, n2, q.data(), n2, c22, ldc, 1.0, c22, ldc);
  // T4 = T2 − B21 = (B22 − T1) − B21: rebuild T2 into sb; M4 = A22 T4 → p; C21 = U6 = U3 − M4.
  combine(k2, n2, b12, ldb, b11, ldb, -1.0, sb.data(), n2);
  combine(k2, n2, b22, ldb, sb.data(), n2, -1.0, sb.data(), n2);
  combine(k2, n2, sb.data(), n2, b21, ldb, -1.0, sb.data(), n2);
  strassenMultiply(m2, n2, k2, a22, lda, sb.data(), n2, p.data(), n2, cutoff);
  combine(m2, n2, q.data(), n2, p.data(), n2, -1.0, c21, ldc);
}

}  // namespace softnewton
