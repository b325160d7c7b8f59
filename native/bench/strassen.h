// Strassen–Winograd over BLAS dgemm, for the experiment of issue 6 (large d): C = A B with A m × k,
// B k × n, all row-major. Each level splits every dimension in half (7 half-size products and 15
// additions instead of 8 products) and recurses until a dimension is below `cutoff` or odd, where
// cblas_dgemm takes over. bench/strassen.ts measures it against plain dgemm; the solver does not
// use it unless that measurement shows a crossover (see bench/REPORT.md).
#pragma once
#include <cstdint>

namespace softnewton {

// c (m × n, leading dimension ldc) = a (m × k, lda) · b (k × n, ldb).
void strassenMultiply(int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b, int64_t ldb,
                      double* c, int64_t ldc, int64_t cutoff);

}  // namespace softnewton
