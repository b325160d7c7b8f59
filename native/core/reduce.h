// The one seam between a solve and the processes it may be spread over (docs/distributed.md).
//
// A problem's rows may be split across processes (MPI ranks), each holding a contiguous block of
// rows. Every quantity the method needs is then a sum (or, for the softmax's stabiliser, a maximum)
// over rows: the softmax normaliser, the per-row sums α, γ and the loss, every Cᵀ product, the
// Gram Cᵀ diag(D) C and its sketches. The objective and the solver call the Reduction at exactly
// those places; in one process there is none (a null pointer) and every call is skipped.
#pragma once
#include <cstdint>

namespace softnewton {

struct Reduction {
  virtual ~Reduction() = default;
  // In place, elementwise over every process. Collective: every process makes the same calls in
  // the same order, with the same count.
  virtual void sum(double* values, int64_t count) const = 0;
  virtual void max(double* values, int64_t count) const = 0;
  // This process's first row in the whole problem (for per-row seeds that must not depend on how
  // the rows were split).
  virtual int64_t rowOffset() const = 0;
};

// Null-safe helpers: the identity without a Reduction.
inline void reduceSum(const Reduction* r, double* values, int64_t count) {
  if (r) r->sum(values, count);
}
inline void reduceMax(const Reduction* r, double* values, int64_t count) {
  if (r) r->max(values, count);
}

}  // namespace softnewton
