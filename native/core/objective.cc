#include "core/objective.h"

#include <cmath>
#include <cstring>

#include "core/linalg.h"

namespace softnewton {

namespace {
double dot(const double* a, const double* b, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
}  // namespace

std::string Objective::evaluate(const double* x, Point& at) const {
  if (at.x.data() != x) at.x.assign(x, x + c_.cols);
  at.z.resize(c_.rows);
  c_.multiply(x, at.z.data());
  std::string problem = lossFromZ(at);
  if (!problem.empty()) return problem;
  finishGradient(at);
  for (double g : at.gradient)
    if (!std::isfinite(g))
      return "the gradient overflows at this point: Cᵀ times the row gradient exceeds the double range (entries of C too large?)";
  return "";
}

std::string Objective::lossFromZ(Point& at) const {
  std::string problem = evaluateModel(spec_, at.z.data(), c_.rows, at.terms);
  // Without a ridge there is no ridge term: 0 · ‖x‖² would be NaN for an x whose ‖x‖² overflows
  // (found by fuzzing: a start point with entries near 1e200 gave a NaN loss).
  const double ridgeTerm = spec_.ridge == 0.0 ? 0.0 : 0.5 * spec_.ridge * dot(at.x.data(), at.x.data(), c_.cols);
  at.loss = at.terms.loss + ridgeTerm;
  if (problem.empty() && !std::isfinite(at.loss))
    problem = "the ridge term ½λ‖x‖² overflows at this point (x or λ too large for doubles)";
  at.ctU0.clear();
  at.ctU1.clear();
  return problem;
}

void Objective::finishGradient(Point& at) const {
  const int64_t d = c_.cols;
  at.gradient.resize(d);
  c_.multiplyTransposed(at.terms.grad.data(), at.gradient.data());
  for (int64_t j = 0; j < d; ++j) at.gradient[j] += spec_.ridge * at.x[j];
}

void Objective::prepareHessian(Point& at) const {
  if (!at.ctU0.empty()) return;
  at.ctU0.resize(c_.cols);
  at.ctU1.resize(c_.cols);
  c_.multiplyTransposed(at.terms.u0.data(), at.ctU0.data());
  c_.multiplyTransposed(at.terms.u1.data(), at.ctU1.data());
}

void Objective::hessianVector(const Point& at, const double* v, double* out, std::vector<double>& t) const {
  const int64_t n = c_.rows;
  const RowTerms& r = at.terms;
  t.resize(n);
  c_.multiply(v, t.data());
  // Uᵀt, then each row's D t + U S Uᵀ t with S = [[σ, −1], [−1, 0]].
  const double s0 = dot(r.u0.data(), t.data(), n);
  const double s1 = dot(r.u1.data(), t.data(), n);
  const double c0 = r.sigma * s0 - s1, c1 = -s0;
  for (int64_t i = 0; i < n; ++i) t[i] = r.D[i] * t[i] + r.u0[i] * c0 + r.u1[i] * c1;
  c_.multiplyTransposed(t.data(), out);
  for (int64_t j = 0; j < c_.cols; ++j) out[j] += spec_.ridge * v[j];
}

void Objective::addStructuredTerms(const Point& at, double* h) const {
  // (CᵀU) S (CᵀU)ᵀ = σ a aᵀ − (a bᵀ + b aᵀ), a = Cᵀu0, b = Cᵀu1.
  addRank2(c_.cols, at.terms.sigma, at.ctU0.data(), -1.0, at.ctU1.data(), h);
  addDiagonal(c_.cols, spec_.ridge, h);
}

void Objective::denseHessian(const Point& at, double* h) const {
  const int64_t d = c_.cols;
  std::memset(h, 0, sizeof(double) * d * d);
  accumulateGram(c_, at.terms.D.data(), nullptr, c_.rows, h);
  addStructuredTerms(at, h);
  symmetrize(d, h);
}

}  // namespace softnewton
