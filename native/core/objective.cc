#include "core/objective.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/linalg.h"

namespace softnewton {

namespace {
double dot(const double* a, const double* b, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

bool allFinite(const std::vector<double>& v) {
  bool finite = true;
  for (double x : v) finite &= std::isfinite(x);
  return finite;
}

// Stored entries per chunk of the fused Hessian–vector pass over CSR rows: 128 Ki entries, about
// 1.5 MB, which the second read finds in L2.
constexpr int64_t kHessianChunkEntries = int64_t{1} << 17;

constexpr const char* kGradientOverflow =
    "the gradient overflows at this point: Cᵀ times the row gradient exceeds the double range (entries of C too large?)";
}  // namespace

Objective::Objective(const MatrixView& c, const ModelSpec& spec, Execution exec)
    : c_(c), spec_(spec), exec_(exec), blockList_(std::make_shared<const RowBlocks>(makeRowBlocks(c))),
      blocks_(*blockList_) {}

Objective::Objective(const Objective& other, Execution exec)
    : c_(other.c_), spec_(other.spec_), exec_(exec), blockList_(other.blockList_), blocks_(*blockList_) {}

Objective Objective::with(Execution exec) const { return Objective(*this, exec); }

template <class Body>
void Objective::forBlocks(double work, Body&& body) const {
  const Parallel par{std::max(1, exec_.threads), exec_.cancel};
  forEachItem(par.threadsFor(work), blocks_.count(), body);
}

template <class RowWork>
void Objective::transposed(const double* const* r, int k, double* const* out, Scratch& s, RowWork&& rowWork) const {
  const int64_t blocks = blocks_.count(), d = dim();
  s.partial.resize(static_cast<size_t>(blocks * d * k));
  const double work = static_cast<double>(c_.nnz()) * k + static_cast<double>(rows()) * kRowWork;
  forBlocks(work, [&](int64_t b) {
    rowWork(b);
    c_.transposedRows(r, k, blocks_.begin(b), blocks_.end(b), s.partial.data() + b * d * k);
  });
  // Block order, whatever thread computed which block: the same bits for every thread count.
  for (int c = 0; c < k; ++c) {
    double* o = out[c];
    for (int64_t j = 0; j < d; ++j) o[j] = s.partial[j * k + c];
    for (int64_t b = 1; b < blocks; ++b) {
      const double* part = s.partial.data() + b * d * k;
      for (int64_t j = 0; j < d; ++j) o[j] += part[j * k + c];
    }
  }
  if (exec_.reduction)
    for (int c = 0; c < k; ++c) exec_.reduction->sum(out[c], d);
}

std::string Objective::evaluate(const double* x, Point& at, Order order) const {
  const int64_t n = rows(), d = dim();
  if (at.x.data() != x) at.x.assign(x, x + d);
  at.z.resize(n);
  at.terms.resize(n, order);
  at.scratch.sums.assign(blocks_.count(), BlockSums{});
  // One pass over C: z = Cx, each block's softmax stage while its z is in cache.
  forBlocks(static_cast<double>(c_.nnz()) + static_cast<double>(n) * kRowWork, [&](int64_t b) {
    c_.multiplyRows(x, at.z.data(), blocks_.begin(b), blocks_.end(b));
    softmaxStage(spec_, at.z.data(), blocks_.begin(b), blocks_.end(b), at.terms.u0.data(), at.scratch.sums[b]);
  });
  std::string problem = finishLoss(at, order);
  if (!problem.empty() || order == Order::Loss) return problem;
  return finishGradient(at, order);
}

std::string Objective::lossAlongLine(const Point& at, const std::vector<double>& p, const std::vector<double>& cp,
                                     double t, Point& next) const {
  const int64_t n = rows(), d = dim();
  next.x.resize(d);
  for (int64_t j = 0; j < d; ++j) next.x[j] = at.x[j] - t * p[j];
  next.z.resize(n);
  next.terms.resize(n, Order::Loss);
  next.scratch.sums.assign(blocks_.count(), BlockSums{});
  forBlocks(static_cast<double>(n) * kRowWork, [&](int64_t b) {
    const int64_t begin = blocks_.begin(b), end = blocks_.end(b);
    for (int64_t i = begin; i < end; ++i) next.z[i] = at.z[i] - t * cp[i];
    softmaxStage(spec_, next.z.data(), begin, end, next.terms.u0.data(), next.scratch.sums[b]);
  });
  return finishLoss(next, Order::Loss);
}

std::string Objective::finishLoss(Point& at, Order order) const {
  const int64_t n = rows(), blocks = blocks_.count();
  std::vector<BlockSums>& sums = at.scratch.sums;
  // The global max and normaliser from the blocks' own: Σ = Σ_b S_b · exp(m_b − m).
  double m = -INFINITY;
  for (const BlockSums& s : sums) m = std::max(m, s.max);
  reduceMax(exec_.reduction, &m, 1);
  double total = 0.0;
  for (const BlockSums& s : sums)
    if (s.expSum > 0) total += s.expSum * std::exp(s.max - m);
  reduceSum(exec_.reduction, &total, 1);
  forBlocks(static_cast<double>(n) * kRowWork, [&](int64_t b) {
    BlockSums& s = sums[b];
    const double factor = s.expSum > 0 ? std::exp(s.max - m) / total : 0.0;
    unitStage(spec_, at.z.data(), blocks_.begin(b), blocks_.end(b), factor, order, at.terms, s);
  });
  double totals[3] = {0.0, 0.0, 0.0}, maxV = -INFINITY;
  for (int64_t b = 0; b < blocks; ++b) {
    totals[0] += sums[b].loss;
    totals[1] += sums[b].alpha;
    totals[2] += sums[b].gamma;
    maxV = std::max(maxV, sums[b].maxV);
  }
  reduceSum(exec_.reduction, totals, 3);
  at.terms.loss = totals[0];
  at.terms.alpha = totals[1];
  at.terms.sigma = totals[2] + 2.0 * totals[1];
  at.terms.order = order;
  at.gradient.clear();
  at.ctU0.clear();
  at.ctU1.clear();
  // Without a ridge there is no ridge term: 0 · ‖x‖² would be NaN for an x whose ‖x‖² overflows
  // (found by fuzzing: a start point with entries near 1e200 gave a NaN loss).
  const double ridgeTerm = spec_.ridge == 0.0 ? 0.0 : 0.5 * spec_.ridge * dot(at.x.data(), at.x.data(), dim());
  at.loss = at.terms.loss + ridgeTerm;
  if (!std::isfinite(totals[0]) || !std::isfinite(totals[1]) || !std::isfinite(totals[2]))
    return overflowMessage(maxV, false);
  if (!std::isfinite(at.loss)) return "the ridge term ½λ‖x‖² overflows at this point (x or λ too large for doubles)";
  // σ = γ + 2α overflows on its own when γ and α are both near the double range (found by fuzzing:
  // an Inf σ reached the Hessian as Inf, or as NaN through σ·0 where relu-softmax masks U).
  if (order == Order::Hessian && !std::isfinite(at.terms.sigma)) return overflowMessage(maxV, true);
  return "";
}

std::string Objective::finishGradient(Point& at, Order order) const {
  const int64_t n = rows(), d = dim(), blocks = blocks_.count();
  if (order == Order::Loss) return "";
  if (at.terms.order < order) {
    // The loss was computed alone (a line search's trial): the unit stage again, now with its
    // derivatives; s is normalised already (factor 1).
    at.terms.resize(n, order);
    std::vector<BlockSums>& sums = at.scratch.sums;
    forBlocks(static_cast<double>(n) * kRowWork, [&](int64_t b) {
      unitStage(spec_, at.z.data(), blocks_.begin(b), blocks_.end(b), 1.0, order, at.terms, sums[b]);
    });
    double totals[2] = {0.0, 0.0}, maxV = -INFINITY;
    for (int64_t b = 0; b < blocks; ++b) {
      totals[0] += sums[b].alpha;
      totals[1] += sums[b].gamma;
      maxV = std::max(maxV, sums[b].maxV);
    }
    reduceSum(exec_.reduction, totals, 2);
    at.terms.alpha = totals[0];
    at.terms.sigma = totals[1] + 2.0 * totals[0];
    at.terms.order = order;
    if (!std::isfinite(totals[0]) || !std::isfinite(at.terms.sigma)) return overflowMessage(maxV, true);
  }
  // One Cᵀ pass for every product the point needs, the final row terms computed block by block
  // just before their rows are read.
  const bool hessian = order == Order::Hessian;
  at.gradient.resize(d);
  if (hessian) {
    at.ctU0.resize(d);
    at.ctU1.resize(d);
  }

  const double* r[3] = {at.terms.grad.data(), at.terms.u0.data(), hessian ? at.terms.u1.data() : nullptr};
  double* out[3] = {at.gradient.data(), hessian ? at.ctU0.data() : nullptr, hessian ? at.ctU1.data() : nullptr};
  transposed(r, hessian ? 3 : 1, out, at.scratch, [&](int64_t b) {
    bool ok = true;
    for (int64_t i = blocks_.begin(b); i < blocks_.end(b); ++i) ok &= rowStage(spec_, at.z.data(), i, order, at.terms);
    at.scratch.sums[b].finite = ok;
  });
  if (!std::all_of(at.scratch.sums.begin(), at.scratch.sums.end(), [](const BlockSums& s) { return s.finite; })) {
    double maxV = -INFINITY;
    for (const BlockSums& s : at.scratch.sums) maxV = std::max(maxV, s.maxV);
    return overflowMessage(maxV, true);
  }
  for (int64_t j = 0; j < d; ++j) at.gradient[j] += spec_.ridge * at.x[j];
  if (!allFinite(at.gradient) || (hessian && (!allFinite(at.ctU0) || !allFinite(at.ctU1)))) return kGradientOverflow;
  return "";
}

std::string Objective::prepareHessian(Point& at) const {
  if (at.terms.order == Order::Hessian && at.ctU0.size() == static_cast<size_t>(dim())) return "";
  return finishGradient(at, Order::Hessian);
}

void Objective::multiply(const double* v, double* z) const {
  forBlocks(static_cast<double>(c_.nnz()),
            [&](int64_t b) { c_.multiplyRows(v, z, blocks_.begin(b), blocks_.end(b)); });
}

void Objective::hessianVector(const Point& at, const double* v, double* out, Scratch& s, double* cv) const {
  const int64_t n = rows(), d = dim(), blocks = blocks_.count();
  const RowTerms& r = at.terms;
  s.rows.resize(n);
  s.sums.assign(blocks, BlockSums{});
  s.partial.resize(static_cast<size_t>(blocks * d));
  if (!c_.isDense()) s.chunk.resize(static_cast<size_t>(blocks * d));
  double* t = s.rows.data();
  // ∇²L v = Cᵀ(D∘t) + (CᵀU) S (Uᵀt) + λv with t = Cv. CᵀU is known at the point, so one pass over C
  // does it all: block by block, t = C_b v, its share of Uᵀt, and C_bᵀ(D_b∘t_b) while the block's
  // rows are still in cache (two separate passes read C twice per CG step).
  if (at.ctU0.size() != static_cast<size_t>(d) || at.terms.order != Order::Hessian)
    throw std::logic_error("hessianVector: the point has no Hessian pieces (evaluate it with Order::Hessian)");
  forBlocks(2.0 * static_cast<double>(c_.nnz()), [&](int64_t b) {
    const int64_t begin = blocks_.begin(b), end = blocks_.end(b);
    double* part = s.partial.data() + b * d;
    std::fill(part, part + d, 0.0);
    if (c_.isDense()) {
      // Dense rows: each row's product and its share of Cᵀ(D∘t) at once (core/matrix.h normalRows),
      // t written straight into cv when the caller wants it.
      double* tb = cv ? cv : t;
      c_.normalRows(v, r.D.data(), tb, part, begin, end);
      s.sums[b].alpha = dot(r.u0.data() + begin, tb + begin, end - begin);
      s.sums[b].gamma = dot(r.u1.data() + begin, tb + begin, end - begin);
      return;
    }
    double* chunkOut = s.chunk.data() + b * d;
    double s0 = 0.0, s1 = 0.0;
    // CSR: chunks of about kHessianChunkEntries stored entries (about 1.5 MB of C), read for t, then
    // again for Cᵀ while they are in cache. The chunks depend on the data alone, like the blocks.
    for (int64_t lo = begin; lo < end;) {
      int64_t hi = lo + 1;
      for (int64_t entries = c_.rowNnz(lo); hi < end && entries + c_.rowNnz(hi) <= kHessianChunkEntries; ++hi)
        entries += c_.rowNnz(hi);
      c_.multiplyRows(v, t, lo, hi);
      s0 += dot(r.u0.data() + lo, t + lo, hi - lo);
      s1 += dot(r.u1.data() + lo, t + lo, hi - lo);
      if (cv) std::copy(t + lo, t + hi, cv + lo);
      for (int64_t i = lo; i < hi; ++i) t[i] *= r.D[i];
      const double* column[1] = {t};
      c_.transposedRows(column, 1, lo, hi, chunkOut);
      for (int64_t j = 0; j < d; ++j) part[j] += chunkOut[j];
      lo = hi;
    }
    s.sums[b].alpha = s0;
    s.sums[b].gamma = s1;
  });
  double ut[2] = {0.0, 0.0};
  for (int64_t b = 0; b < blocks; ++b) {
    ut[0] += s.sums[b].alpha;
    ut[1] += s.sums[b].gamma;
  }
  for (int64_t j = 0; j < d; ++j) out[j] = s.partial[j];
  for (int64_t b = 1; b < blocks; ++b)
    for (int64_t j = 0; j < d; ++j) out[j] += s.partial[b * d + j];
  if (exec_.reduction) {
    exec_.reduction->sum(ut, 2);
    exec_.reduction->sum(out, d);
  }
  // S = [[σ, −1], [−1, 0]]: (CᵀU) S Uᵀt = Cᵀu0 (σ s0 − s1) + Cᵀu1 (−s0).
  const double c0 = r.sigma * ut[0] - ut[1], c1 = -ut[0];
  for (int64_t j = 0; j < d; ++j) out[j] += at.ctU0[j] * c0 + at.ctU1[j] * c1 + spec_.ridge * v[j];
}

void Objective::exactGram(const double* D, double* m) const {
  const Parallel par{std::max(1, exec_.threads), exec_.cancel};
  accumulateGramParallel(c_, D, m, par);
  reduceSum(exec_.reduction, m, dim() * dim());
}

void Objective::addStructuredTerms(const Point& at, double* h) const {
  // (CᵀU) S (CᵀU)ᵀ = σ a aᵀ − (a bᵀ + b aᵀ), a = Cᵀu0, b = Cᵀu1.
  addRank2(c_.cols, at.terms.sigma, at.ctU0.data(), -1.0, at.ctU1.data(), h);
  addDiagonal(c_.cols, spec_.ridge, h);
}

void Objective::denseHessian(const Point& at, double* h) const {
  const int64_t d = c_.cols;
  std::memset(h, 0, sizeof(double) * d * d);
  exactGram(at.terms.D.data(), h);
  addStructuredTerms(at, h);
  symmetrize(d, h);
}

}  // namespace softnewton
