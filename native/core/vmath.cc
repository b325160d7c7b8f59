// exp: Tang's table-driven method, the one glibc's scalar exp uses (x = (k·N + j)·ln2/N + r with
// N = 128, exp(x) = 2^k · 2^(j/N) · exp(r), |r| ≤ ln2/256, exp(r) − 1 by a degree-5 polynomial), written
// as a plain loop without branches so that the compiler vectorises it for each CPU level the build
// dispatches to. The table holds 2^(j/N) as a double plus its rounding error ("tail"), so the result
// is within about 0.51 ulp of the exact value: within 1 ulp of libm's, where glibc's libmvec exp
// was measured 3 ulp off on 0.004% of arguments (docs/performance.md). Arguments whose result
// overflows, underflows towards subnormals, or is NaN take libm's exp itself.
//
// log1p: glibc's libmvec (within 2 ulp of libm, measured), scalar libm where the CPU lacks AVX2.
#include "core/vmath.h"

// GCC 12 warns that its own AVX-512 intrinsics' placeholder operands may be uninitialised (a known
// false positive of -Wmaybe-uninitialized in avx512fintrin.h).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

extern "C" {
__m256d _ZGVdN4v_log1p(__m256d);
__m512d _ZGVeN8v_log1p(__m512d);
}

namespace softnewton {

namespace {

constexpr int kTableBits = 7;
constexpr int kTableSize = 1 << kTableBits;

struct ExpTable {
  double value[kTableSize];  // 2^(j/N) rounded to double
  double tail[kTableSize];   // 2^(j/N) − value[j], from long double
  ExpTable() {
    for (int j = 0; j < kTableSize; ++j) {
      const long double exact = std::exp2l(static_cast<long double>(j) / kTableSize);
      value[j] = static_cast<double>(exact);
      tail[j] = static_cast<double>(exact - static_cast<long double>(value[j]));
    }
  }
};
const ExpTable kExp;

// The range where the table method is exact enough and no special case arises: results normal and
// finite. Outside it (and for NaN) libm's exp is used.
constexpr double kExpLow = -708.0, kExpHigh = 709.0;

constexpr double kInvLn2N = 184.66496523378731;  // N / ln 2
constexpr double kLn2NHi = 0x1.62e42fefa0000p-8;  // ln 2 / N to 36 bits: its product with any k (≤ 18 bits) is exact
constexpr double kLn2NLo = 0x1.cf79abc9e3b3ap-47;  // ln 2 / N − kLn2NHi
constexpr double kShift = 0x1.8p52;  // x·N/ln2 + kShift rounds to an integer held in the low mantissa bits
// exp(r) − 1 ≈ r + c2 r² + … + c5 r⁵ on |r| ≤ ln2/256 (Taylor; the truncation is ~1e-20 relative).
constexpr double kC2 = 0.5, kC3 = 1.0 / 6, kC4 = 1.0 / 24, kC5 = 1.0 / 120;

inline double expCore(double x) {
  constexpr double c2 = kC2, c3 = kC3, c4 = kC4, c5 = kC5;
  const double kd = x * kInvLn2N + kShift;
  int64_t ki;
  std::memcpy(&ki, &kd, sizeof ki);
  const double k = kd - kShift;
  const double r = (x - k * kLn2NHi) - k * kLn2NLo;
  const int64_t j = ki & (kTableSize - 1);
  const double r2 = r * r;
  const double poly = r + r2 * (c2 + r * c3) + r2 * r2 * (c4 + r * c5);
  // 2^(j/N)·(1 + poly) with the table's tail: v + (tail + v·poly), v the rounded table value.
  const double v = kExp.value[j];
  const double result = v + (kExp.tail[j] + v * poly);
  int64_t bits;
  std::memcpy(&bits, &result, sizeof bits);
  // result ∈ [1, 2): adding the power of two k div N to the exponent field scales exactly. ki's
  // bits above the integer (kShift's own exponent) fall off the top in the shift.
  bits += static_cast<int64_t>(static_cast<uint64_t>(ki - j) << (52 - kTableBits));
  double out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

// The same arithmetic as expCore, 8 or 4 lanes at a time, with multiplies and adds kept separate
// (no fused multiply-add) so that every variant gives the same bits as expCore.
__attribute__((target("avx512f"))) void expAvx512(const double* in, double* out, int64_t n) {
  const __m512d invLn2N = _mm512_set1_pd(kInvLn2N), shift = _mm512_set1_pd(kShift);
  const __m512d hi = _mm512_set1_pd(kLn2NHi), lo = _mm512_set1_pd(kLn2NLo);
  const __m512d low = _mm512_set1_pd(kExpLow), high = _mm512_set1_pd(kExpHigh);
  const __m512d c2 = _mm512_set1_pd(kC2), c3 = _mm512_set1_pd(kC3), c4 = _mm512_set1_pd(kC4), c5 = _mm512_set1_pd(kC5);
  const __m512i mask = _mm512_set1_epi64(kTableSize - 1);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512d x = _mm512_loadu_pd(in + i);
    x = _mm512_min_pd(_mm512_max_pd(x, low), high);
    const __m512d kd = _mm512_add_pd(_mm512_mul_pd(x, invLn2N), shift);
    const __m512i ki = _mm512_castpd_si512(kd);
    const __m512d k = _mm512_sub_pd(kd, shift);
    const __m512d r = _mm512_sub_pd(_mm512_sub_pd(x, _mm512_mul_pd(k, hi)), _mm512_mul_pd(k, lo));
    const __m512i j = _mm512_and_si512(ki, mask);
    const __m512d r2 = _mm512_mul_pd(r, r);
    const __m512d poly = _mm512_add_pd(
        _mm512_add_pd(r, _mm512_mul_pd(r2, _mm512_add_pd(c2, _mm512_mul_pd(r, c3)))),
        _mm512_mul_pd(_mm512_mul_pd(r2, r2), _mm512_add_pd(c4, _mm512_mul_pd(r, c5))));
    const __m512d v = _mm512_i64gather_pd(j, kExp.value, 8);
    const __m512d tail = _mm512_i64gather_pd(j, kExp.tail, 8);
    const __m512d result = _mm512_add_pd(v, _mm512_add_pd(tail, _mm512_mul_pd(v, poly)));
    const __m512i scale = _mm512_slli_epi64(_mm512_sub_epi64(ki, j), 52 - kTableBits);
    _mm512_storeu_pd(out + i, _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(result), scale)));
  }
  for (; i < n; ++i) out[i] = expCore(std::min(std::max(in[i], kExpLow), kExpHigh));
}

__attribute__((target("avx2"))) void expAvx2(const double* in, double* out, int64_t n) {
  const __m256d invLn2N = _mm256_set1_pd(kInvLn2N), shift = _mm256_set1_pd(kShift);
  const __m256d hi = _mm256_set1_pd(kLn2NHi), lo = _mm256_set1_pd(kLn2NLo);
  const __m256d low = _mm256_set1_pd(kExpLow), high = _mm256_set1_pd(kExpHigh);
  const __m256d c2 = _mm256_set1_pd(kC2), c3 = _mm256_set1_pd(kC3), c4 = _mm256_set1_pd(kC4), c5 = _mm256_set1_pd(kC5);
  const __m256i mask = _mm256_set1_epi64x(kTableSize - 1);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d x = _mm256_loadu_pd(in + i);
    x = _mm256_min_pd(_mm256_max_pd(x, low), high);
    const __m256d kd = _mm256_add_pd(_mm256_mul_pd(x, invLn2N), shift);
    const __m256i ki = _mm256_castpd_si256(kd);
    const __m256d k = _mm256_sub_pd(kd, shift);
    const __m256d r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(k, hi)), _mm256_mul_pd(k, lo));
    const __m256i j = _mm256_and_si256(ki, mask);
    const __m256d r2 = _mm256_mul_pd(r, r);
    const __m256d poly = _mm256_add_pd(
        _mm256_add_pd(r, _mm256_mul_pd(r2, _mm256_add_pd(c2, _mm256_mul_pd(r, c3)))),
        _mm256_mul_pd(_mm256_mul_pd(r2, r2), _mm256_add_pd(c4, _mm256_mul_pd(r, c5))));
    const __m256d v = _mm256_i64gather_pd(kExp.value, j, 8);
    const __m256d tail = _mm256_i64gather_pd(kExp.tail, j, 8);
    const __m256d result = _mm256_add_pd(v, _mm256_add_pd(tail, _mm256_mul_pd(v, poly)));
    const __m256i scale = _mm256_slli_epi64(_mm256_sub_epi64(ki, j), 52 - kTableBits);
    _mm256_storeu_pd(out + i, _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(result), scale)));
  }
  for (; i < n; ++i) out[i] = expCore(std::min(std::max(in[i], kExpLow), kExpHigh));
}

void expBaseline(const double* in, double* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = expCore(std::min(std::max(in[i], kExpLow), kExpHigh));
}

template <__m256d (*F)(__m256d)>
__attribute__((target("avx2"))) void applyAvx2(const double* in, double* out, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(out + i, F(_mm256_loadu_pd(in + i)));
  if (i < n) {  // a short tail goes through the same variant, padded
    alignas(32) double pad[4] = {0, 0, 0, 0};
    std::memcpy(pad, in + i, sizeof(double) * (n - i));
    _mm256_store_pd(pad, F(_mm256_load_pd(pad)));
    std::memcpy(out + i, pad, sizeof(double) * (n - i));
  }
}

template <__m512d (*F)(__m512d)>
__attribute__((target("avx512f"))) void applyAvx512(const double* in, double* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_pd(out + i, F(_mm512_loadu_pd(in + i)));
  if (i < n) {
    alignas(64) double pad[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(pad, in + i, sizeof(double) * (n - i));
    _mm512_store_pd(pad, F(_mm512_load_pd(pad)));
    std::memcpy(out + i, pad, sizeof(double) * (n - i));
  }
}

enum class Variant { Avx512, Avx2, Scalar };

Variant detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return Variant::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Variant::Avx2;
  return Variant::Scalar;
}

const Variant kVariant = detect();

}  // namespace

void vexp(const double* in, double* out, int64_t n) {
  // In chunks through a local copy: out may alias in, and the arguments outside the table method's
  // range must still be known after the vector loop has written out.
  constexpr int64_t kChunk = 256;
  alignas(64) double x[kChunk];
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t len = std::min(kChunk, n - start);
    std::memcpy(x, in + start, sizeof(double) * len);
    switch (kVariant) {
      case Variant::Avx512: expAvx512(x, out + start, len); break;
      case Variant::Avx2: expAvx2(x, out + start, len); break;
      case Variant::Scalar: expBaseline(x, out + start, len); break;
    }
    bool outside = false;
    for (int64_t k = 0; k < len; ++k) outside |= !(x[k] >= kExpLow && x[k] <= kExpHigh);
    if (outside)
      for (int64_t k = 0; k < len; ++k)
        if (!(x[k] >= kExpLow && x[k] <= kExpHigh)) out[start + k] = std::exp(x[k]);
  }
}

void vlog1p(const double* in, double* out, int64_t n) {
  switch (kVariant) {
    case Variant::Avx512: return applyAvx512<_ZGVeN8v_log1p>(in, out, n);
    case Variant::Avx2: return applyAvx2<_ZGVdN4v_log1p>(in, out, n);
    case Variant::Scalar:
      for (int64_t i = 0; i < n; ++i) out[i] = std::log1p(in[i]);
      return;
  }
}

const char* vmathVariant() {
  switch (kVariant) {
    case Variant::Avx512: return "avx512";
    case Variant::Avx2: return "avx2";
    case Variant::Scalar: return "scalar";
  }
  return "scalar";
}

}  // namespace softnewton
