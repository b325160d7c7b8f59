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

// Factors h + μI (d × d, upper triangle) into `factor`, raising μ from a tenth of *mu (or 0) by
// factors of 10; false when even μ = 1e8 · max|diag(h)| fails (declared here for the tests).
bool factorWithDamping(int64_t d, const std::vector<double>& h, std::vector<double>& factor, double* mu);

// The result when the model overflows at the start point: no iteration is possible.
SolveResult startOverflow(Run& run, Point& at, const std::string& message);

}  // namespace softnewton::detail
