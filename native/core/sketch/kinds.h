// Internal to the sketches: one entry point per kind, each adding sign · M̃ for the rows of
// diag(weight)^{1/2} C (weight ≥ 0; rows with weight 0 are skipped), and the per-row hash they share.
// sketch.cc validates sizes before calling any of these.
#pragma once
#include <cstdint>
#include <vector>

#include "core/matrix.h"
#include "core/parallel.h"

namespace softnewton::sketch {

// splitmix64's finaliser: a bijection of 64-bit words with full avalanche.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A counter-based hash of (key, row, slot): the bucket and sign of a row depend on nothing else, so
// row blocks can be processed in any order or in parallel and give the same sketch.
inline uint64_t rowHash(uint64_t key, uint64_t row, uint64_t slot) {
  return mix64(key ^ mix64((row << 8 | slot) * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL));
}

// The key for one use of a seed (`purpose` tells the uses apart), with seed 0 as good as any other.
inline uint64_t hashKey(uint64_t seed, uint64_t purpose) {
  return mix64(mix64(seed + 0x9e3779b97f4a7c15ULL) ^ (purpose * 0xd1b54a32d192ed03ULL));
}

// Output entries (k·d) from which dense rows are gathered rather than scattered: 2²² doubles, 32 MB,
// the size of this CPU's L3. Below it the scattered output stays in cache and the scatter was faster
// (n = 100k, d = 200, k = 2000: 7 against 17 ms); above it the gather was (n = 200k, d = 1000,
// k = 10⁴: 118 against 173 ms), both on two threads. A size of the data, not of the machine, so
// the choice, and the bits, do not depend on where the solve runs.
constexpr int64_t kGatherOutputEntries = int64_t{1} << 22;

// out (k × d, row-major; its contents on entry are ignored) = Π diag(weight)^{1/2} C with the OSNAP embedding of
// s nonzeros per row (s = 1: CountSketch), each ±1/√s. Requires 1 ≤ s ≤ k, s ≤ 256.
// The same bits for every par.threads (countsketch.cc says how).
// Rows are hashed by rowOffset + i: a process holding rows from rowOffset on hashes them as the
// whole problem would, so that the processes' blocks are independent sketches (docs/distributed.md).
void embedRows(const MatrixView& c, const double* weight, int64_t k, int s, uint64_t key, double* out,
               const Parallel& par, int64_t rowOffset = 0);

void accumulateCountSketch(const MatrixView& c, const double* weight, int64_t k, int s, uint64_t seed, double sign,
                           double* m, const Parallel& par, int64_t rowOffset = 0);
void accumulateLeverage(const MatrixView& c, const double* weight, int64_t k, uint64_t seed, double sign, double* m,
                        const Parallel& par);
void accumulateUniform(const MatrixView& c, const double* weight, int64_t k, uint64_t seed, double sign, double* m);

// Sorts the k sampled row indices and merges duplicates: rows[r] (ascending) was drawn counts[r] times.
void mergeSamples(std::vector<int64_t>& samples, std::vector<int64_t>& rows, std::vector<int64_t>& counts);

}  // namespace softnewton::sketch
