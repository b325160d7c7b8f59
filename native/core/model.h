// Every model is a function ℓ(z) of z = Cx alone. What the solver needs from it, at one z, is a
// loss, a gradient in row space, and a Hessian of the form diag(δ) + U S Uᵀ with U = [u0, u1] and
// S = [[σ, −1], [−1, 0]] (MATH.md section 3). RowTerms carries exactly that; the solver never asks
// which model produced it.
#pragma once
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

struct RowTerms {
  double loss = 0.0;          // ℓ(z) + ½‖w∘z‖²
  std::vector<double> grad;   // ∇ℓ(z) + w²∘z
  std::vector<double> delta;  // δ
  std::vector<double> D;      // δ + w²: the diagonal of Cᵀ diag(D) C
  std::vector<double> u0, u1; // the columns of U
  double sigma = 0.0;         // S = [[σ, −1], [−1, 0]]
  void resize(int64_t n);
};

// "" on success; otherwise why the value is not finite (an overflow, say), for a clear status.
std::string evaluateModel(const ModelSpec& spec, const double* z, int64_t n, RowTerms& out);

// The model's prediction φ(a∘softmax(z) + c) (with ReLU applied to z first for relu-softmax).
void predict(const ModelSpec& spec, const double* z, int64_t n, double* y);

}  // namespace softnewton
