// Every model is a function ℓ(z) of z = Cx alone. What the solver needs from it, at one z, is a
// loss, a gradient in row space, and a Hessian of the form diag(δ) + U S Uᵀ with U = [u0, u1] and
// S = [[σ, −1], [−1, 0]] (docs/math.md §3). RowTerms carries exactly that; the solver never asks
// which model produced it.
//
// The per-row work runs in three stages over blocks of rows, so that the objective can fuse each
// stage into a pass over C (core/objective.cc) and run blocks on several threads:
//   1. softmaxStage: t = z (ReLU(z) for relu-softmax), the block's max m_b and e_i = exp(t_i − m_b),
//      summed into S_b. The global max m and normaliser Σ = Σ_b S_b·exp(m_b − m) combine the blocks.
//   2. unitStage: s_i = e_i·exp(m_b − m)/Σ, the second layer v = a·s + c, φ(v), the loss and (when
//      derivatives are wanted) g = a φ′ r, p = s² a²(φ′² + r φ″), and the block's α = Σ s g, γ = Σ p.
//   3. rowStage: with α known, the row's gradient s(g − α) + w²z and, for the Hessian, q = p + s g,
//      δ = q − α s, D = δ + w², u1 = q.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/units.h"

namespace softnewton {

enum class ModelKind { SoftmaxUnit, Softmax, ReluSoftmax };

// A parameter given either as one scalar for all rows or as one value per row.
struct RowParameter {
  double scalar = 0.0;
  const double* perRow = nullptr;  // n values when set
  double at(int64_t i) const { return perRow ? perRow[i] : scalar; }
};

struct ModelSpec {
  ModelKind kind = ModelKind::SoftmaxUnit;
  Unit unit = Unit::Identity;
  RowParameter scale{1.0};   // a
  RowParameter bias{0.0};    // c
  RowParameter weight{0.0};  // w: the regulariser ½‖W C x‖²
  double ridge = 0.0;        // λ: the regulariser ½ λ‖x‖²
  const double* target = nullptr;  // b, n values
};

// How much of the per-row work a caller needs.
enum class Order {
  Loss,      // the loss alone (a line search's trial point)
  Gradient,  // and the row gradient (gradient descent, L-BFGS)
  Hessian,   // and δ, D, U, σ (the Newton methods)
};

struct RowTerms {
  double loss = 0.0;          // ℓ(z) + ½‖w∘z‖²
  std::vector<double> grad;   // ∇ℓ(z) + w²∘z          (between stages 2 and 3: g)
  std::vector<double> delta;  // δ
  std::vector<double> D;      // δ + w²: the diagonal of Cᵀ diag(D) C
  std::vector<double> u0, u1; // the columns of U: s (from stage 1 on) and q (between stages: p)
  double sigma = 0.0;         // S = [[σ, −1], [−1, 0]]
  double alpha = 0.0;         // sᵀg: stage 3 needs it
  Order order = Order::Loss;  // what the vectors hold
  void resize(int64_t n, Order order);
};

// The sums one block of rows contributes; blocks are combined in block order (deterministic).
struct BlockSums {
  double max = -INFINITY;  // m_b (stage 1)
  double expSum = 0.0;     // S_b = Σ exp(t_i − m_b) (stage 1)
  double loss = 0.0, alpha = 0.0, gamma = 0.0;  // stage 2
  double maxV = -INFINITY;  // the largest second-layer input, for overflow messages
  bool finite = true;       // every final row term of the block is finite (stage 3)
};

// Stage 1 for rows [begin, end): s[i] = exp(t_i − m_b); fills sums.max and sums.expSum.
void softmaxStage(const ModelSpec& spec, const double* z, int64_t begin, int64_t end, double* s, BlockSums& sums);
// Stage 2 for rows [begin, end): s[i] *= factor (= exp(m_b − m)/Σ), then the unit; fills loss and, for
// order ≥ Gradient, terms.grad (g), terms.u1 (p, Hessian only), alpha and gamma.
void unitStage(const ModelSpec& spec, const double* z, int64_t begin, int64_t end, double factor, Order order,
               RowTerms& terms, BlockSums& sums);
// Stage 3 for row i: the final row terms; returns false when one of them is not finite.
inline bool rowStage(const ModelSpec& spec, const double* z, int64_t i, Order order, RowTerms& t) {
  const double s = t.u0[i], g = t.grad[i];
  const double w = spec.weight.at(i), w2 = w * w;
  const bool masked = spec.kind == ModelKind::ReluSoftmax && !(z[i] > 0);  // P = diag(1[z > 0])
  const double gradient = (masked ? 0.0 : s * (g - t.alpha)) + w2 * z[i];
  t.grad[i] = gradient;
  if (order != Order::Hessian) return std::isfinite(gradient);
  const double q = t.u1[i] + s * g;
  const double delta = masked ? 0.0 : q - t.alpha * s;
  t.delta[i] = delta;
  t.D[i] = delta + w2;
  t.u1[i] = masked ? 0.0 : q;
  if (masked) t.u0[i] = 0.0;
  return std::isfinite(gradient) && std::isfinite(t.D[i]) && std::isfinite(t.u1[i]);
}

// The whole per-row work on one thread, for tests and the fuzz harnesses: the row terms at z to the
// given order. "" on success; otherwise why a value is not finite (an overflow, say).
std::string evaluateModel(const ModelSpec& spec, const double* z, int64_t n, RowTerms& out,
                          Order order = Order::Hessian);

// The model's prediction φ(a∘softmax(z) + c) (with ReLU applied to z first for relu-softmax).
void predict(const ModelSpec& spec, const double* z, int64_t n, double* y);

// The message for a model that overflows (the loss or a sum is not finite).
std::string overflowMessage(double maxV, bool derivatives);

}  // namespace softnewton
