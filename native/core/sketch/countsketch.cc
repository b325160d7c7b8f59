// CountSketch and OSNAP (MATH.md section 4): Π has k rows; input row i goes to s buckets with
// signs ±1/√s, so ΠA costs s · nnz(C) and M̃ = (ΠA)ᵀ(ΠA) is one dsyrk of k × d.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/linalg.h"
#include "core/sketch/kinds.h"

namespace softnewton::sketch {

// Parallel by output rows: thread t owns the buckets [lo_t, hi_t) and walks all input rows in
// ascending order, adding only the slots that land in its buckets. Every bucket then receives the
// same additions in the same order (ascending row) as on one thread — hence the same bits — with no
// per-thread copy of the k × d output and no reduction. Input rows are split between the threads
// by where they hash, so each stored entry is still read s times in all; the per-row hash of a slot
// is recomputed by every thread whose buckets that slot's block overlaps (all of them for
// CountSketch, ~3 ns a row; for OSNAP with s ≥ threads, only one).
void embedRows(const MatrixView& c, const double* weight, int64_t k, int s, uint64_t key, double* out,
               const Parallel& par) {
  const int64_t d = c.cols;
  const double perSlot = 1.0 / std::sqrt(static_cast<double>(s));
  // Block OSNAP: slot b draws its bucket from the b-th of s disjoint ranges of buckets, so the s
  // buckets of a row are distinct by construction (no rejection loop, no dependence between slots).
  std::vector<int64_t> blockStart(s + 1);
  for (int b = 0; b <= s; ++b) blockStart[b] = static_cast<int64_t>((static_cast<__int128>(k) * b) / s);
  const int parts = static_cast<int>(
      std::min<int64_t>(k, par.threadsFor(static_cast<double>(s) * static_cast<double>(c.nnz()))));
  runParts(parts, [&](int part) {
    const int64_t lo = static_cast<int64_t>((static_cast<__int128>(k) * part) / parts);
    const int64_t hi = static_cast<int64_t>((static_cast<__int128>(k) * (part + 1)) / parts);
    int firstSlot = 0, lastSlot = s;  // the slots whose bucket blocks overlap [lo, hi)
    while (firstSlot < s && blockStart[firstSlot + 1] <= lo) ++firstSlot;
    while (lastSlot > firstSlot && blockStart[lastSlot - 1] >= hi) --lastSlot;
    for (int64_t i = 0; i < c.rows; ++i) {
      if (i % kCancelCheckRows == 0) par.checkCancel();
      const double w = weight[i];
      if (!(w > 0.0) || c.rowNnz(i) == 0) continue;
      const double scale = std::sqrt(w) * perSlot;
      for (int b = firstSlot; b < lastSlot; ++b) {
        const uint64_t h = rowHash(key, static_cast<uint64_t>(i), static_cast<uint64_t>(b));
        const uint64_t width = static_cast<uint64_t>(blockStart[b + 1] - blockStart[b]);
        // Multiply-high maps the hash onto [0, width) with a bias below width / 2^64.
        const int64_t bucket = blockStart[b] + static_cast<int64_t>((static_cast<__uint128_t>(h) * width) >> 64);
        if (bucket < lo || bucket >= hi) continue;
        const double v = (h & 1) ? scale : -scale;
        double* row = out + bucket * d;
        if (c.isDense()) {
          const double* src = c.dense + i * d;
          for (int64_t j = 0; j < d; ++j) row[j] += v * src[j];
        } else {
          for (int32_t p = c.indptr[i]; p < c.indptr[i + 1]; ++p) row[c.indices[p]] += v * c.values[p];
        }
      }
    }
  });
}

void accumulateCountSketch(const MatrixView& c, const double* weight, int64_t k, int s, uint64_t seed, double sign,
                           double* m, const Parallel& par) {
  std::vector<double> pa(static_cast<size_t>(k) * static_cast<size_t>(c.cols), 0.0);
  embedRows(c, weight, k, s, hashKey(seed, 1), pa.data(), par);
  accumulateSyrk(c.cols, k, pa.data(), sign, m);
}

}  // namespace softnewton::sketch
