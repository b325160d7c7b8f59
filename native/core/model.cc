#include "core/model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/dispatch.h"
#include "core/vmath.h"

namespace softnewton {

void RowTerms::resize(int64_t n, Order o) {
  order = o;
  // Vectors a lower order does not fill keep their size (a Point reused across orders allocates once).
  u0.resize(n);
  if (o == Order::Loss) return;
  grad.resize(n);
  if (o == Order::Gradient) return;
  delta.resize(n);
  D.resize(n);
  u1.resize(n);
}

namespace {
// Rows per chunk of the vectorised per-row work: the chunk's temporaries stay in L1.
constexpr int64_t kChunk = 256;

// Sums and maxima over a chunk as four interleaved partial results, combined as ((0, 1), (2, 3)),
// then the tail in order: four independent chains where one chain of adds bounded the per-row
// stages. The order depends on the length alone, so every thread count and CPU clone rounds alike.
typedef double Quad __attribute__((vector_size(4 * sizeof(double))));
// (By reference: a vector returned by value draws GCC's ABI note.)
inline void loadQuad(const double* a, Quad& v) { std::memcpy(&v, a, sizeof v); }
inline double chunkSum(const double* a, int64_t len) {
  Quad acc{};
  int64_t k = 0;
  for (; k + 4 <= len; k += 4) {
    Quad v;
    loadQuad(a + k, v);
    acc += v;
  }
  double sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; k < len; ++k) sum += a[k];
  return sum;
}
inline double chunkMax(const double* a, int64_t len) {
  Quad acc = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
  int64_t k = 0;
  for (; k + 4 <= len; k += 4) {
    Quad v;
    loadQuad(a + k, v);
    acc = v > acc ? v : acc;
  }
  double m = std::max(std::max(acc[0], acc[1]), std::max(acc[2], acc[3]));
  for (; k < len; ++k) m = std::max(m, a[k]);
  return m;
}
}  // namespace

SOFTNEWTON_DISPATCH
void softmaxStage(const ModelSpec& spec, const double* z, int64_t begin, int64_t end, double* s, BlockSums& sums) {
  const bool relu = spec.kind == ModelKind::ReluSoftmax;
  if (begin == end) {
    sums.max = -INFINITY;
    sums.expSum = 0.0;
    return;
  }
  // t into s first, so that the max runs over one array (for relu-softmax t = ReLU(z)).
  for (int64_t i = begin; i < end; ++i) s[i] = relu ? std::max(z[i], 0.0) : z[i];
  const double m = chunkMax(s + begin, end - begin);
  sums.max = m;
  // softmax computed stably: exp(t − max t), never exp(t).
  for (int64_t i = begin; i < end; ++i) s[i] -= m;
  vexp(s + begin, s + begin, end - begin);
  sums.expSum = chunkSum(s + begin, end - begin);
}

namespace {
// The identity unit (the default) compiled on its own: the general loop's terms with φ′ = 1 and
// φ″ = 0 written out, in loops that vectorise.
template <bool kIdentity>
__attribute__((always_inline)) inline void unitRows(const ModelSpec& spec, const double* z, int64_t begin,
                                                    int64_t end, double factor, Order order, RowTerms& terms,
                                                    BlockSums& sums) {
  double* s = terms.u0.data();
  double v[kChunk], t[kChunk], l[kChunk];
  // The rows' shares of each sum, summed per chunk by chunkSum.
  double lossRow[kChunk], alphaRow[kChunk], gammaRow[kChunk];
  double loss = 0.0, alpha = 0.0, gamma = 0.0, maxV = -INFINITY;
  const Unit unit = kIdentity ? Unit::Identity : spec.unit;
  const bool needsExp = unit != Unit::Identity && unit != Unit::Relu;
  for (int64_t chunk = begin; chunk < end; chunk += kChunk) {
    const int64_t len = std::min(kChunk, end - chunk);
    for (int64_t k = 0; k < len; ++k) {
      const int64_t i = chunk + k;
      s[i] *= factor;
      v[k] = spec.scale.at(i) * s[i] + spec.bias.at(i);
    }
    maxV = std::max(maxV, chunkMax(v, len));
    if (needsExp) {
      for (int64_t k = 0; k < len; ++k) t[k] = unitExpArgument(unit, v[k]);
      vexp(t, t, len);
      if (unit == Unit::Softplus) vlog1p(t, l, len);
    }
    if (kIdentity) {
      // The same terms with φ(v) = v, φ′ = 1, φ″ = 0, one simple loop per order so that each
      // vectorises (one loop with the order tested per row did not).
      const double* b = spec.target + chunk;
      double* r = t;  // the residuals, in the unit's exp buffer (the identity needs no exp)
      for (int64_t k = 0; k < len; ++k) {
        r[k] = v[k] - b[k];
        lossRow[k] = 0.5 * r[k] * r[k];
      }
      if (spec.weight.perRow || spec.weight.scalar != 0.0)
        for (int64_t k = 0; k < len; ++k) {
          const double w = spec.weight.at(chunk + k), zi = z[chunk + k];
          lossRow[k] = lossRow[k] + 0.5 * w * w * zi * zi;
        }
      // (grad and u1 are sized only for the orders that fill them: RowTerms::resize.)
      const double* si = s + chunk;
      if (order != Order::Loss) {
        double* g = terms.grad.data() + chunk;
        for (int64_t k = 0; k < len; ++k) {
          g[k] = spec.scale.at(chunk + k) * r[k];
          alphaRow[k] = si[k] * g[k];
        }
      }
      if (order == Order::Hessian) {
        double* u1 = terms.u1.data() + chunk;
        for (int64_t k = 0; k < len; ++k) {
          const double a = spec.scale.at(chunk + k);
          u1[k] = si[k] * si[k] * (a * a);
          gammaRow[k] = u1[k];
        }
      }
    } else {
      for (int64_t k = 0; k < len; ++k) {
        const int64_t i = chunk + k;
        const UnitValue phi = unitFromExp(unit, v[k], needsExp ? t[k] : 1.0, unit == Unit::Softplus ? l[k] : 0.0);
        const double r = phi.value - spec.target[i];
        const double w = spec.weight.at(i);
        lossRow[k] = 0.5 * r * r + 0.5 * w * w * z[i] * z[i];
        if (order == Order::Loss) continue;
        const double a = spec.scale.at(i);
        const double g = a * phi.first * r;
        terms.grad[i] = g;
        alphaRow[k] = s[i] * g;
        if (order == Order::Hessian) {
          const double p = s[i] * s[i] * (a * a * (phi.first * phi.first + r * phi.second));
          terms.u1[i] = p;
          gammaRow[k] = p;
        }
      }
    }
    loss += chunkSum(lossRow, len);
    if (order != Order::Loss) alpha += chunkSum(alphaRow, len);
    if (order == Order::Hessian) gamma += chunkSum(gammaRow, len);
  }
  sums.loss = loss;
  sums.alpha = alpha;
  sums.gamma = gamma;
  sums.maxV = maxV;
}
}  // namespace

SOFTNEWTON_DISPATCH
void unitStage(const ModelSpec& spec, const double* z, int64_t begin, int64_t end, double factor, Order order,
               RowTerms& terms, BlockSums& sums) {
  if (spec.unit == Unit::Identity)
    unitRows<true>(spec, z, begin, end, factor, order, terms, sums);
  else
    unitRows<false>(spec, z, begin, end, factor, order, terms, sums);
}

std::string overflowMessage(double maxV, bool derivatives) {
  char v[32];
  std::snprintf(v, sizeof v, "%.6g", maxV);
  if (!derivatives)
    return std::string("the model overflows at this point: the second layer's input v = a*s + c reaches ") + v +
           " (the unit or the squared residual exceeds the double range)";
  return std::string("the model's derivatives overflow at this point: v = a*s + c reaches ") + v;
}

std::string evaluateModel(const ModelSpec& spec, const double* z, int64_t n, RowTerms& out, Order order) {
  out.resize(n, order);
  out.loss = out.sigma = out.alpha = 0.0;
  if (n == 0) return "";
  BlockSums sums;
  softmaxStage(spec, z, 0, n, out.u0.data(), sums);
  unitStage(spec, z, 0, n, 1.0 / sums.expSum, order, out, sums);
  out.loss = sums.loss;
  out.alpha = sums.alpha;
  if (!std::isfinite(sums.loss) || !std::isfinite(sums.alpha) || !std::isfinite(sums.gamma))
    return overflowMessage(sums.maxV, false);
  if (order == Order::Loss) return "";
  bool finite = true;
  for (int64_t i = 0; i < n; ++i) finite &= rowStage(spec, z, i, order, out);
  // σ = γ + 2α overflows on its own when γ and α are both near the double range (found by fuzzing:
  // an Inf σ reached the Hessian as Inf, or as NaN through σ·0 where relu-softmax masks U).
  out.sigma = sums.gamma + 2.0 * sums.alpha;
  if (!finite || !std::isfinite(out.sigma)) return overflowMessage(sums.maxV, true);
  return "";
}

void predict(const ModelSpec& spec, const double* z, int64_t n, double* y) {
  if (n == 0) return;
  BlockSums sums;
  softmaxStage(spec, z, 0, n, y, sums);
  const double factor = 1.0 / sums.expSum;
  for (int64_t i = 0; i < n; ++i) y[i] = applyUnit(spec.unit, spec.scale.at(i) * (y[i] * factor) + spec.bias.at(i)).value;
}

}  // namespace softnewton
