// The estimated peak memory of one solve, from the allocations the solver makes: written next to
// them (footprint.cc names the file and line of each), so that a change to a workspace changes the
// estimate in the same commit. The memory cap of the API (maxMemoryBytes) refuses a solve whose
// estimate exceeds it before anything is allocated; docs/reliability.md explains the terms.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/sketch/sketch.h"
#include "core/solver/solver.h"

namespace softnewton {

struct FootprintInput {
  int64_t rows = 0, cols = 0, nnz = 0;
  bool dense = false;
  // The problem's matrix, when known: `auto` is then resolved by the solver's own rule (resolveAuto);
  // without it `auto` counts as the larger of its two outcomes.
  const MatrixView* matrix = nullptr;
  Method method = Method::NewtonPcg;
  SketchKind sketch = SketchKind::Auto;
  int64_t sketchRows = 0;  // 0: derived from eps0
  double eps0 = 0.5;
  int osnapNonzeros = 4;
  int maxIterations = 100;
  int lbfgsMemory = 10;
  int threads = 1;
};

struct FootprintPart {
  std::string name;
  double bytes = 0;
};

struct Footprint {
  double bytes = 0;
  std::vector<FootprintPart> parts;  // largest first; they add up to `bytes`
};

// The peak of the solve's own allocations (not the problem's arrays, which exist before it).
Footprint solveFootprint(const FootprintInput& in);

// Problem.hessian(x): the dense d × d result, one point's per-row vectors and the Gram's blocks.
double hessianFootprintBytes(int64_t rows, int64_t cols);

}  // namespace softnewton
