#include "core/model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace softnewton {

void RowTerms::resize(int64_t n) {
  grad.resize(n);
  delta.resize(n);
  D.resize(n);
  u0.resize(n);
  u1.resize(n);
}

namespace {

// Six significant digits: std::to_string prints a double in fixed point, 300 digits for 1e300.
std::string shortNumber(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

// softmax(t) computed stably: exp(t − max t), never exp(t).
void softmax(const double* t, int64_t n, double* s) {
  double m = -INFINITY;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, t[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += (s[i] = std::exp(t[i] - m));
  const double inv = 1.0 / sum;
  for (int64_t i = 0; i < n; ++i) s[i] *= inv;
}

// The first layer's input: z itself, or ReLU(z) for relu-softmax.
void firstLayerInput(const ModelSpec& spec, const double* z, int64_t n, std::vector<double>& t) {
  t.assign(z, z + n);
  if (spec.kind == ModelKind::ReluSoftmax)
    for (auto& v : t) v = std::max(v, 0.0);
}

bool allFinite(const std::vector<double>& v) {
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace

void predict(const ModelSpec& spec, const double* z, int64_t n, double* y) {
  std::vector<double> t;
  firstLayerInput(spec, z, n, t);
  softmax(t.data(), n, y);
  for (int64_t i = 0; i < n; ++i) y[i] = applyUnit(spec.unit, spec.scale.at(i) * y[i] + spec.bias.at(i)).value;
}

std::string evaluateModel(const ModelSpec& spec, const double* z, int64_t n, RowTerms& out) {
  out.resize(n);
  if (n == 0) {
    out.loss = 0.0;
    out.sigma = 0.0;
    return "";
  }
  std::vector<double> t;
  firstLayerInput(spec, z, n, t);
  std::vector<double>& s = out.u0;  // U's first column is s itself
  softmax(t.data(), n, s.data());

  // Per row: g = a φ′(v) r and e = a²(φ′² + r φ″), then the global sums α = sᵀg and γ = Σ s² e.
  double loss = 0.0, alpha = 0.0, gamma = 0.0, maxV = -INFINITY;
  std::vector<double>& g = out.grad;   // holds g until the gradient replaces it
  std::vector<double>& p = out.u1;     // holds p = s∘s∘e until q replaces it
  for (int64_t i = 0; i < n; ++i) {
    const double a = spec.scale.at(i);
    const double v = a * s[i] + spec.bias.at(i);
    maxV = std::max(maxV, v);
    const UnitValue phi = applyUnit(spec.unit, v);
    const double r = phi.value - spec.target[i];
    loss += 0.5 * r * r;
    g[i] = a * phi.first * r;
    const double e = a * a * (phi.first * phi.first + r * phi.second);
    p[i] = s[i] * s[i] * e;
    alpha += s[i] * g[i];
    gamma += p[i];
  }
  if (!std::isfinite(loss) || !std::isfinite(alpha) || !std::isfinite(gamma)) {
    return "the model overflows at this point: the second layer's input v = a*s + c reaches " +
           shortNumber(maxV) + " (the unit or the squared residual exceeds the double range)";
  }

  // ∇ℓ(z) = s∘(g − α); q = p + s∘g; δ = q − α s.
  const bool masked = spec.kind == ModelKind::ReluSoftmax;
  double regulariser = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double q = p[i] + s[i] * g[i];
    double gradient = s[i] * (g[i] - alpha);
    double delta = q - alpha * s[i];
    double u1 = q;
    double u0 = s[i];
    if (masked && !(z[i] > 0)) gradient = delta = u0 = u1 = 0.0;  // P = diag(1[z > 0])
    const double w = spec.weight.at(i);
    const double w2 = w * w;
    regulariser += 0.5 * w2 * z[i] * z[i];
    out.grad[i] = gradient + w2 * z[i];
    out.delta[i] = delta;
    out.D[i] = delta + w2;
    out.u0[i] = u0;
    out.u1[i] = u1;
  }
  out.sigma = gamma + 2.0 * alpha;
  out.loss = loss + regulariser;
  // σ = γ + 2α overflows on its own when γ and α are both near the double range (found by fuzzing:
  // an Inf σ reached the Hessian as Inf, or as NaN through σ·0 where relu-softmax masks U).
  if (!std::isfinite(out.loss) || !std::isfinite(out.sigma) || !allFinite(out.grad) || !allFinite(out.delta) ||
      !allFinite(out.D) || !allFinite(out.u1))
    return "the model's derivatives overflow at this point: v = a*s + c reaches " + shortNumber(maxV);
  return "";
}

}  // namespace softnewton
