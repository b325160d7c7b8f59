// L(x) = ℓ(Cx) + ½‖W C x‖² + ½ λ‖x‖²: the data C and a model, seen by the solver only through
// value, gradient, the Hessian's structured pieces and Hessian–vector products (as liblinear's
// Newton solver sees its function).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/matrix.h"
#include "core/model.h"

namespace softnewton {

// Everything known at one point x: kept together so that a Hessian–vector product or a sketch
// reuses the row terms computed with the gradient.
struct Point {
  std::vector<double> x;         // d
  std::vector<double> z;         // n: Cx
  RowTerms terms;                // per-row quantities at z
  double loss = 0.0;             // L(x)
  std::vector<double> gradient;  // ∇L(x), d
  std::vector<double> ctU0, ctU1;  // CᵀU (d each), filled by prepareHessian()
};

class Objective {
 public:
  Objective(const MatrixView& c, const ModelSpec& spec) : c_(c), spec_(spec) {}

  int64_t rows() const { return c_.rows; }
  int64_t dim() const { return c_.cols; }
  const MatrixView& matrix() const { return c_; }
  const ModelSpec& model() const { return spec_; }

  // Loss, gradient and row terms at x (two passes over C). "" or an overflow message.
  std::string evaluate(const double* x, Point& at) const;
  // Loss and row terms from at.x and at.z, already set: no pass over C. A line search moves along
  // z − t·Cp without touching C again.
  std::string lossFromZ(Point& at) const;
  // On entry, lossFromZ(at) succeeded: ∇L = Cᵀ(row gradient) + λx, one pass over C.
  void finishGradient(Point& at) const;
  // CᵀU for the rank-2 term (two more passes); needed before denseHessian or addStructuredTerms.
  void prepareHessian(Point& at) const;
  // out = ∇²L(x) v, two passes over C (MATH.md section 4): Cᵀ(D∘t + U S Uᵀ t) + λv with t = Cv.
  void hessianVector(const Point& at, const double* v, double* out, std::vector<double>& rowScratch) const;
  // The exact dense Hessian, d × d (symmetric, full storage). Cᵀ diag(D) C by BLAS-3.
  void denseHessian(const Point& at, double* h) const;
  // Adds the exact rank-2 and ridge terms to a d × d approximation of Cᵀ diag(D) C (upper triangle).
  void addStructuredTerms(const Point& at, double* h) const;

 private:
  MatrixView c_;
  ModelSpec spec_;
};

}  // namespace softnewton
