// Uniform row sampling: the baseline with no guarantee. It is unbiased, but a few dominant rows
// are either missed (that direction collapses) or hit with a weight far too large.
#include <algorithm>
#include <vector>

#include "core/linalg.h"
#include "core/random.h"
#include "core/sketch/kinds.h"

namespace softnewton::sketch {

void mergeSamples(std::vector<int64_t>& samples, std::vector<int64_t>& rows, std::vector<int64_t>& counts) {
  std::sort(samples.begin(), samples.end());
  rows.clear();
  counts.clear();
  for (size_t r = 0; r < samples.size(); ++r) {
    if (r > 0 && samples[r] == samples[r - 1]) {
      ++counts.back();
    } else {
      rows.push_back(samples[r]);
      counts.push_back(1);
    }
  }
}

void accumulateUniform(const MatrixView& c, const double* weight, int64_t k, uint64_t seed, double sign, double* m) {
  // The population is the rows that contribute (weight > 0, some stored entry): sampling among
  // them instead of all n rows is still unbiased and wastes no draws on zero rows.
  std::vector<int64_t> support;
  for (int64_t i = 0; i < c.rows; ++i)
    if (weight[i] > 0.0 && c.rowNnz(i) > 0) support.push_back(i);
  if (support.empty()) return;
  Rng rng(Rng::derive(seed, 3));
  std::vector<int64_t> samples(k);
  for (auto& s : samples) s = support[rng.below(support.size())];
  std::vector<int64_t> rows, counts;
  mergeSamples(samples, rows, counts);
  const double perDraw = static_cast<double>(support.size()) / static_cast<double>(k);
  std::vector<double> w(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) w[r] = sign * weight[rows[r]] * static_cast<double>(counts[r]) * perDraw;
  accumulateGram(c, w.data(), rows.data(), static_cast<int64_t>(rows.size()), m);
}

}  // namespace softnewton::sketch
