// L(x) = ℓ(Cx) + ½‖W C x‖² + ½ λ‖x‖²: the data C and a model, seen by the solver only through
// value, gradient, the Hessian's structured pieces and Hessian–vector products (as liblinear's
// Newton solver sees its function).
//
// Every pass runs over fixed row blocks (core/matrix.h) on the objective's threads, each block
// writing only its own partial results, which are then combined in block order: the same bits for
// every thread count. Each pass over C is fused with the per-row work at that point (core/model.h):
// z = Cx with the softmax stage, and one Cᵀ pass with the final row terms gives every Cᵀ product the
// point needs (the gradient, and CᵀU for the Hessian: three columns at once). docs/performance.md.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/matrix.h"
#include "core/model.h"
#include "core/parallel.h"
#include "core/reduce.h"

namespace softnewton {

// Buffers a pass reuses from one call to the next (sized on first use, never shrunk).
struct Scratch {
  std::vector<double> rows;      // an n-vector (Cv in a Hessian–vector product)
  std::vector<double> partial;   // per-block partial Cᵀ products: blocks × d × columns
  std::vector<double> chunk;     // per-block Cᵀ product of one chunk (Hessian–vector products): blocks × d
  std::vector<BlockSums> sums;   // per-block sums
};

// Everything known at one point x: kept together so that a Hessian–vector product or a sketch
// reuses the row terms computed with the gradient.
struct Point {
  std::vector<double> x;         // d
  std::vector<double> z;         // n: Cx
  RowTerms terms;                // per-row quantities at z, to terms.order
  double loss = 0.0;             // L(x)
  std::vector<double> gradient;  // ∇L(x), d (when terms.order ≥ Gradient)
  std::vector<double> ctU0, ctU1;  // CᵀU (d each), when terms.order is Hessian
  Scratch scratch;
};

// How an objective's passes run: threads for the row blocks, the cancel flag of the solve, and
// the Reduction across processes (null in one process; core/reduce.h).
struct Execution {
  int threads = 1;
  const int32_t* cancel = nullptr;
  const Reduction* reduction = nullptr;
};

class Objective {
 public:
  Objective(const MatrixView& c, const ModelSpec& spec, Execution exec = {});
  // The same problem with other execution settings (a solve's threads and cancel flag).
  Objective with(Execution exec) const;

  int64_t rows() const { return c_.rows; }
  int64_t dim() const { return c_.cols; }
  const MatrixView& matrix() const { return c_; }
  const ModelSpec& model() const { return spec_; }
  const Execution& execution() const { return exec_; }
  const RowBlocks& blocks() const { return blocks_; }

  // z = Cx, then the loss (and to `order` the gradient and Hessian pieces) at x. "" or an overflow
  // message. Two passes over C for Gradient and Hessian (z, then one fused Cᵀ pass), one for Loss.
  std::string evaluate(const double* x, Point& at, Order order = Order::Gradient) const;
  // The loss at next.x = at.x − t·p, next.z = at.z − t·Cp (cp = Cp): no pass over C. A line search
  // moves along z − t·Cp without touching C again.
  std::string lossAlongLine(const Point& at, const std::vector<double>& p, const std::vector<double>& cp, double t,
                            Point& next) const;
  // On entry, the loss at `at` was computed (by evaluate or lossAlongLine): the row terms to `order`
  // and one fused Cᵀ pass for the gradient (and CᵀU). "" or an overflow message.
  std::string finishGradient(Point& at, Order order) const;
  // Makes sure `at` has the Hessian's pieces (D, U, σ, CᵀU): a no-op after evaluate(…, Hessian).
  std::string prepareHessian(Point& at) const;
  // z = C v on the objective's threads.
  void multiply(const double* v, double* z) const;
  // out = ∇²L(x) v (docs/math.md §4): Cᵀ(D∘t) + (CᵀU) S Uᵀt + λv with t = Cv, in one pass over C
  // (each chunk of rows read twice while in cache). On entry `at` has its Hessian pieces
  // (evaluate with Order::Hessian, or prepareHessian); std::logic_error otherwise. If `cv` is not
  // null it receives t = Cv (n values), which the pass computes anyway: CG sums these into C p, so
  // the line search along its p needs no pass of its own.
  void hessianVector(const Point& at, const double* v, double* out, Scratch& scratch, double* cv = nullptr) const;
  // The exact dense Hessian, d × d (symmetric, full storage). Cᵀ diag(D) C by BLAS-3.
  void denseHessian(const Point& at, double* h) const;
  // m (d × d, upper triangle) += Cᵀ diag(D) C exactly, on the objective's threads.
  void exactGram(const double* D, double* m) const;
  // Adds the exact rank-2 and ridge terms to a d × d approximation of Cᵀ diag(D) C (upper triangle).
  void addStructuredTerms(const Point& at, double* h) const;

 private:
  Objective(const Objective& other, Execution exec);
  // The softmax stage has run block by block into at.scratch.sums: normalise and run the unit stage.
  std::string finishLoss(Point& at, Order order) const;
  // Runs body(block) for every row block on up to exec_.threads threads; `work` in multiply-adds.
  template <class Body>
  void forBlocks(double work, Body&& body) const;
  // One pass: out (d × k, k separate vectors) = Σ_blocks Cᵀ[r_0 … r_{k−1}] over the blocks, with
  // rowWork(block) run on each block's rows first. Combined in block order, then across processes.
  template <class RowWork>
  void transposed(const double* const* r, int k, double* const* out, Scratch& scratch, RowWork&& rowWork) const;

  MatrixView c_;
  ModelSpec spec_;
  Execution exec_;
  // Shared by every copy of the objective (with() makes one per solve and per synchronous call):
  // the blocks depend on the data alone.
  std::shared_ptr<const RowBlocks> blockList_;
  const RowBlocks& blocks_;
};

}  // namespace softnewton
