// The methods behind solve(): each runs the whole loop for its family.
#pragma once
#include <string>
#include <vector>

#include "core/solver/loop.h"

namespace softnewton::detail {

SolveResult solveNewton(const Objective& f, const std::vector<double>& x0, const SolverOptions& o,
                        const TraceSink& sink);
SolveResult solveGradientDescent(const Objective& f, const std::vector<double>& x0, const SolverOptions& o,
                                 const TraceSink& sink);
SolveResult solveLbfgs(const Objective& f, const std::vector<double>& x0, const SolverOptions& o,
                       const TraceSink& sink);

// The result when the model overflows at the start point: no iteration is possible.
SolveResult startOverflow(Run& run, Point& at, const std::string& message);

}  // namespace softnewton::detail
