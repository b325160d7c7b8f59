// Planted problems (docs/math.md §6): C with a given density and values of variance
// 1/(density·d), x* uniform on the sphere of radius R, b = the model's prediction at Cx* plus
// optional Gaussian noise. Seeded and deterministic.
#pragma once
#include <cstdint>
#include <vector>

#include "core/model.h"

namespace softnewton {

struct PlantedOptions {
  int64_t rows = 0, cols = 0;
  double density = 1.0;
  double radius = 1.0;
  double noise = 0.0;
  // Column j of C is scaled by conditioning^(−j/(d−1)): 1 keeps the iid columns of docs/math.md §6
  // (a well-conditioned C); larger values give C a condition number about that much larger, the
  // regime where first-order methods slow down and Newton does not.
  double conditioning = 1.0;
  uint64_t seed = 0;
};

struct PlantedProblem {
  std::vector<int32_t> indptr, indices;
  std::vector<double> values, xStar, target;
};

// `spec.target` is ignored; the generated b is returned in `target`.
PlantedProblem generatePlanted(const PlantedOptions& options, const ModelSpec& spec);

}  // namespace softnewton
