// exp and log1p over arrays, vectorised through glibc's libmvec (AVX-512 or AVX2 variants, chosen
// once from the CPU) with a scalar fallback. The per-row work of every model is a few of these per
// row; libm's scalar exp costs about as much as the row's share of a pass over C (docs/performance.md).
// Accuracy: libmvec's exp and log1p are within 2 ulp of libm's (checked by native/test/core_test.cc).
// Every element goes through the same variant (a short tail is padded to a full vector), so the
// result does not depend on where an array starts or how long it is.
#pragma once
#include <cstdint>

namespace softnewton {

void vexp(const double* in, double* out, int64_t n);    // out may alias in
void vlog1p(const double* in, double* out, int64_t n);  // out may alias in
// Which variant runs on this CPU: "avx512", "avx2" or "scalar".
const char* vmathVariant();

}  // namespace softnewton
