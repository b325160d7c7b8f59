#include "core/planted.h"

#include <cmath>
#include <stdexcept>

#include "core/matrix.h"
#include "core/random.h"

namespace softnewton {

PlantedProblem generatePlanted(const PlantedOptions& o, const ModelSpec& spec) {
  PlantedProblem out;
  Rng rng(o.seed);
  const double sd = 1.0 / std::sqrt(o.density * static_cast<double>(o.cols));
  std::vector<double> columnScale(o.cols, 1.0);
  if (o.conditioning > 1.0 && o.cols > 1)
    for (int64_t j = 0; j < o.cols; ++j)
      columnScale[j] = std::pow(o.conditioning, -static_cast<double>(j) / static_cast<double>(o.cols - 1));
  // Columns are drawn by geometric skips, so generation costs O(nnz), not O(n d).
  const double logMiss = o.density < 1.0 ? std::log1p(-o.density) : 0.0;
  out.indptr.reserve(o.rows + 1);
  out.indptr.push_back(0);
  const double expected = static_cast<double>(o.rows) * static_cast<double>(o.cols) * o.density;
  out.indices.reserve(static_cast<size_t>(expected * 1.05) + 16);
  out.values.reserve(static_cast<size_t>(expected * 1.05) + 16);
  for (int64_t i = 0; i < o.rows; ++i) {
    int64_t j = -1;
    while (true) {
      if (o.density >= 1.0) {
        ++j;
      } else {
        const double gap = std::floor(std::log(rng.uniformPositive()) / logMiss);
        if (gap >= static_cast<double>(o.cols)) break;
        j += 1 + static_cast<int64_t>(gap);
      }
      if (j >= o.cols) break;
      if (out.indices.size() >= static_cast<size_t>(INT32_MAX)) throw std::length_error("C: more than 2^31 - 1 non-zeros");
      out.indices.push_back(static_cast<int32_t>(j));
      out.values.push_back(sd * columnScale[j] * rng.normal());
    }
    out.indptr.push_back(static_cast<int32_t>(out.indices.size()));
  }

  out.xStar.resize(o.cols);
  double norm2 = 0.0;
  for (auto& v : out.xStar) {
    v = rng.normal();
    norm2 += v * v;
  }
  const double scale = o.radius / std::sqrt(norm2);
  for (auto& v : out.xStar) v *= scale;

  MatrixView c;
  c.rows = o.rows;
  c.cols = o.cols;
  c.indptr = out.indptr.data();
  c.indices = out.indices.data();
  c.values = out.values.data();
  std::vector<double> z(o.rows);
  c.multiply(out.xStar.data(), z.data());
  out.target.resize(o.rows);
  predict(spec, z.data(), o.rows, out.target.data());
  if (o.noise > 0)
    for (auto& b : out.target) b += o.noise * rng.normal();
  return out;
}

}  // namespace softnewton
