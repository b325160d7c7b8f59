// CountSketch and OSNAP (docs/math.md §4): Π has k rows; input row i goes to s buckets with
// signs ±1/√s, so ΠA costs s · nnz(C) and M̃ = (ΠA)ᵀ(ΠA) is one dsyrk of k × d.
#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "core/dispatch.h"
#include "core/linalg.h"
#include "core/sketch/kinds.h"

namespace softnewton::sketch {

namespace {

// Block OSNAP: slot b draws its bucket from the b-th of s disjoint ranges of buckets, so the s
// buckets of a row are distinct by construction (no rejection loop, no dependence between slots).
struct Buckets {
  std::vector<int64_t> blockStart;
  uint64_t key;
  Buckets(int64_t k, int s, uint64_t key) : blockStart(s + 1), key(key) {
    for (int b = 0; b <= s; ++b) blockStart[b] = static_cast<int64_t>((static_cast<__int128>(k) * b) / s);
  }
  // The bucket of (row i, slot b); *positive: the sign is +.
  int64_t of(int64_t i, int b, bool* positive) const {
    const uint64_t h = rowHash(key, static_cast<uint64_t>(i), static_cast<uint64_t>(b));
    const uint64_t width = static_cast<uint64_t>(blockStart[b + 1] - blockStart[b]);
    *positive = (h & 1) != 0;
    // Multiply-high maps the hash onto [0, width) with a bias below width / 2^64.
    return blockStart[b] + static_cast<int64_t>((static_cast<__uint128_t>(h) * width) >> 64);
  }
};

}  // namespace

// out += v · src (n entries), and meanwhile a hint that brings `next`, the row summed after this
// one, into L2: the gather takes rows in hashed order, which the hardware prefetcher cannot follow.
// Into L2, not L1: rows of a few KB prefetched into L1 evicted the row being summed. Vectorised by
// dispatch (core/dispatch.h); each entry rounds as the scalar loop does.
SOFTNEWTON_DISPATCH
void addScaledRow(double* __restrict out, const double* __restrict src, double v, int64_t n, const double* next) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __builtin_prefetch(next + j, 0, 1);
    for (int t = 0; t < 8; ++t) out[j + t] += v * src[j + t];
  }
  for (; j < n; ++j) out[j] += v * src[j];
}

namespace {

// out_row += v · (row i of C). The one place the scatter adds an input row, for its serial and its
// parallel path alike, so that both perform the same floating-point operations (the gather below
// adds dense rows with addScaledRow too).
inline void addRow(const MatrixView& c, int64_t i, double v, double* row) {
  if (c.isDense()) {
    const double* src = c.dense + i * c.cols;
    addScaledRow(row, src, v, c.cols, src);
  } else {
    for (int32_t p = c.indptr[i]; p < c.indptr[i + 1]; ++p) row[c.indices[p]] += v * c.values[p];
  }
}

// Dense rows with a large output: each output row gathers its input rows instead
// (docs/performance.md). The (row, sign) entries are sorted by bucket with a counting sort, rows
// ascending within a bucket; then each output row is summed by one thread, its rows in ascending
// order, with addRow's arithmetic. C is read once, a whole row at a time, and every output row is
// written once: the scatter below read and wrote a random output row per input row, and its
// scratch copies, which cost 3× a pass over C once k × d no longer fits in cache (180 ms against
// 55 for a pass, n = 200k, d = 1000, k = 10⁴). Each output row's additions are fixed by the data,
// so every thread count gives the same bits.
void gatherDenseRows(const MatrixView& c, const double* weight, int64_t k, int s, const Buckets& buckets,
                     double perSlot, double* out, const Parallel& par, int64_t rowOffset) {
  const int64_t n = c.rows, d = c.cols;
  std::vector<int64_t> start(static_cast<size_t>(k) + 1, 0);
  auto each = [&](auto&& visit) {
    for (int64_t i = 0; i < n; ++i) {
      if (!(weight[i] > 0.0)) continue;
      for (int b = 0; b < s; ++b) {
        bool positive;
        const int64_t bucket = buckets.of(rowOffset + i, b, &positive);
        visit(i, bucket, positive);
      }
    }
  };
  each([&](int64_t, int64_t bucket, bool) { ++start[bucket + 1]; });
  for (int64_t q = 0; q < k; ++q) start[q + 1] += start[q];
  std::vector<int64_t> fill(start.begin(), start.end() - 1);
  std::vector<int64_t> row(static_cast<size_t>(start[k]));
  std::vector<double> value(static_cast<size_t>(start[k]));
  each([&](int64_t i, int64_t bucket, bool positive) {
    const double scale = std::sqrt(weight[i]) * perSlot;
    row[fill[bucket]] = i;
    value[fill[bucket]++] = positive ? scale : -scale;
  });
  par.checkCancel();
  // Ranges of output rows, fixed by k: about 2¹⁸ entries of C each.
  const int64_t rowsPerBucket = start[k] / std::max<int64_t>(1, k) + 1;
  const int64_t perRange = std::max<int64_t>(1, (int64_t{1} << 18) / std::max<int64_t>(1, d * rowsPerBucket));
  const int64_t ranges = (k + perRange - 1) / perRange;
  forEachItem(par.threadsFor(static_cast<double>(start[k]) * static_cast<double>(d)), ranges, [&](int64_t range) {
    par.checkCancel();
    const int64_t q1 = std::min(k, (range + 1) * perRange);
    // The rows come in hashed order, so the hardware prefetcher cannot guess the next one: ask for
    // it while this one is summed.
    const int64_t last = start[q1];
    // Zeroed here rather than by the caller: the output is then first touched by the thread that
    // fills it, row by row while it is in cache (an 80 MB memset and its page faults on one
    // thread cost as much as the gather's arithmetic).
    std::fill(out + range * perRange * d, out + q1 * d, 0.0);
    for (int64_t q = range * perRange; q < q1; ++q)
      for (int64_t e = start[q]; e < start[q + 1]; ++e) {
        const double* next = c.dense + row[e + 1 < last ? e + 1 : e] * d;
        addScaledRow(out + q * d, c.dense + row[e] * d, value[e], d, next);
      }
  });
}

}  // namespace

// Otherwise (CSR rows, or a small output) the rows are cut into blocks of about blockNnz stored
// entries — fixed by the data and the sizes (k, d, s), never by the number of threads. Block 0 is
// added straight into `out`; every later block b into a zeroed scratch copy P_b, which is then
// added to `out` strictly in block order:
//
//     out = ((P_0 + P_1) + P_2) + …      (P_0 = block 0 added in place, i.e. the same bits)
//
// On one thread that is done block by block; on several, threads take blocks in order from a
// counter, each into its own scratch, and wait for block b − 1 to be in before adding block b. So
// every thread count performs the same additions in the same order — the same bits — while each
// thread streams only its own rows (the pass is bound by memory bandwidth: a thread reading all of
// C and keeping only its buckets' rows measured 2–4× the serial time). A block is at least 2²⁰
// entries and 8·k·d/s, so the in-order additions (k·d each) stay a small share of the work.
// Threads are capped so that their scratch copies (k·d doubles each) stay within max(256 MB, the
// size of C): that only changes how many blocks run at once, not the result.
void embedRows(const MatrixView& c, const double* weight, int64_t k, int s, uint64_t key, double* out,
               const Parallel& par, int64_t rowOffset) {
  const int64_t n = c.rows, d = c.cols;
  const double perSlot = 1.0 / std::sqrt(static_cast<double>(s));
  const Buckets buckets(k, s, key);
  if (c.isDense() && k * d >= kGatherOutputEntries) {
    gatherDenseRows(c, weight, k, s, buckets, perSlot, out, par, rowOffset);
    return;
  }
  std::fill(out, out + k * d, 0.0);
  auto addRows = [&](int64_t begin, int64_t end, double* target) {
    for (int64_t i = begin; i < end; ++i) {
      if ((i - begin) % kCancelCheckRows == 0) par.checkCancel();
      if (!(weight[i] > 0.0) || c.rowNnz(i) == 0) continue;
      const double scale = std::sqrt(weight[i]) * perSlot;
      for (int b = 0; b < s; ++b) {
        bool positive;
        const int64_t bucket = buckets.of(rowOffset + i, b, &positive);
        addRow(c, i, positive ? scale : -scale, target + bucket * d);
      }
    }
  };

  // Block boundaries: the first row at which ≥ b · blockNnz entries precede.
  const double outSize = static_cast<double>(k) * static_cast<double>(d);
  const int64_t nnz = c.nnz();
  const int64_t blockNnz = std::max<int64_t>(int64_t{1} << 20, static_cast<int64_t>(std::ceil(8.0 * outSize / s)));
  std::vector<int64_t> bounds{0};
  for (int64_t target = blockNnz; target < nnz; target += blockNnz) {
    int64_t row;
    if (c.isDense()) {
      row = (target + d - 1) / d;
    } else {
      row = std::lower_bound(c.indptr, c.indptr + n + 1, static_cast<int32_t>(std::min<int64_t>(target, INT32_MAX))) - c.indptr;
    }
    if (row > bounds.back() && row < n) bounds.push_back(row);
  }
  bounds.push_back(n);
  const int64_t blocks = static_cast<int64_t>(bounds.size()) - 1;

  const double budget = std::max(256.0 * (1 << 20), 12.0 * static_cast<double>(nnz));  // bytes of scratch
  const int byMemory = static_cast<int>(std::max(1.0, std::floor(budget / (8.0 * outSize))));
  const int parts = static_cast<int>(std::min<int64_t>(
      {static_cast<int64_t>(par.threadsFor(static_cast<double>(s) * static_cast<double>(nnz))), blocks, byMemory}));

  if (parts <= 1) {
    std::vector<double> scratch;
    for (int64_t b = 0; b < blocks; ++b) {
      if (b == 0) {
        addRows(bounds[0], bounds[1], out);
        continue;
      }
      scratch.assign(static_cast<size_t>(k * d), 0.0);
      addRows(bounds[b], bounds[b + 1], scratch.data());
      for (int64_t q = 0; q < k * d; ++q) out[q] += scratch[q];
    }
    return;
  }

  std::atomic<int64_t> next{0};
  std::mutex mutex;
  std::condition_variable turn;
  int64_t merged = -1;   // blocks 0 … merged are in `out`
  bool failed = false;   // a thread threw: the others stop waiting
  runParts(parts, [&](int) {
    std::vector<double> scratch;
    try {
      for (int64_t b = next.fetch_add(1); b < blocks; b = next.fetch_add(1)) {
        double* target = out;
        if (b > 0) {
          scratch.assign(static_cast<size_t>(k * d), 0.0);
          target = scratch.data();
        }
        addRows(bounds[b], bounds[b + 1], target);
        std::unique_lock<std::mutex> lock(mutex);
        turn.wait(lock, [&] { return failed || merged == b - 1; });
        if (failed) return;
        if (b > 0)
          for (int64_t q = 0; q < k * d; ++q) out[q] += scratch[q];
        merged = b;
        turn.notify_all();
      }
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        failed = true;
      }
      turn.notify_all();
      throw;
    }
  });
}

void accumulateCountSketch(const MatrixView& c, const double* weight, int64_t k, int s, uint64_t seed, double sign,
                           double* m, const Parallel& par, int64_t rowOffset) {
  // Left uninitialised: embedRows writes every entry (see there for why).
  std::unique_ptr<double[]> pa(new double[static_cast<size_t>(k) * static_cast<size_t>(c.cols)]);
  embedRows(c, weight, k, s, hashKey(seed, 1), pa.get(), par, rowOffset);
  accumulateSyrk(c.cols, k, pa.get(), sign, m, par);
}

}  // namespace softnewton::sketch
