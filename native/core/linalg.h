// Thin wrappers over BLAS-3 and LAPACK for the d × d work: this is where the d^ω of the method
// lives. Symmetric matrices are d × d, column-major, with the upper triangle authoritative until
// symmetrize() mirrors it (then row-major and column-major read the same).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/matrix.h"
#include "core/parallel.h"

namespace softnewton {

// Rows per dsyrk block of accumulateGram: it holds two such blocks (positive and negative weights),
// min(kGramBlockRows, count) × d each; core/footprint.cc counts them.
constexpr int64_t kGramBlockRows = 2048;

// M += Σ_{r} weight[r] · c_{row[r]} c_{row[r]}ᵀ over the listed rows (all rows when `rowList` is
// null, with weight indexed by row). Weights may be negative. Rows with many entries go through
// dsyrk in blocks; rows with few are scattered directly (Σ nnz² work).
void accumulateGram(const MatrixView& c, const double* weight, const int64_t* rowList, int64_t count,
                    double* m, const Parallel& par = Parallel{});

// M += Σ_i weight[i] · c_i c_iᵀ over all rows, on par.threads threads, with the same bits for every
// thread count. Dense rows: fixed row blocks (denseGramBlocks, by the shape alone), each staged and
// multiplied by dsyrk/dgemm on one thread into a private d × d matrix, added in block order. Sparse
// rows with few entries: scattered by fixed row blocks into private matrices, or by column ranges
// of M (each entry updated by one thread, in row order); those with many are staged in blocks and go
// through dsyrk/dgemm by fixed column panels (accumulateSyrk). Checks par's cancel flag between
// blocks (PassCancelled).
// `kept`: buffers kept by the caller across calls (a solve's iterations); null: this call's own.
// Staging blocks of √|D_i| c_i rows (D > 0 and D < 0 apart) are kept across the row blocks one
// thread takes: allocating them per row block cost more page faults than the block's dsyrk at
// n = 10⁴, d = 200. Sized on the first staged row.
struct GramStaging {
  std::vector<double> positive, negative;
};
struct GramScratch {
  std::unique_ptr<double[]> privates;  // the row blocks' private d × d matrices, uninitialised
  size_t privateWords = 0;
  std::vector<GramStaging> staging;    // one per thread
};
void accumulateGramParallel(const MatrixView& c, const double* weight, double* m, const Parallel& par,
                            GramScratch* kept = nullptr);
// The number of row blocks accumulateGramParallel gives dense rows (1: staged by column panels).
int64_t denseGramBlocks(int64_t rows, int64_t cols);
// accumulateGramParallel's allocations beyond M, in doubles: the row blocks' private d × d matrices
// and a set of staging blocks per thread (for sparse rows estimated from the mean row length).
// core/footprint.cc counts them.
double exactGramScratchWords(int64_t rows, int64_t cols, int64_t nnz, bool dense, int threads);

// Rows with at least this many entries go through BLAS-3 (staged as dense rows), the others are
// scattered. A staged row costs d²/2 multiply-adds at the BLAS-3 rate plus its staging, a scattered
// one r²/2 at the scatter rate. Where the two meet was measured by timing the Gram of rows of one
// length both ways: r ≈ 0.56d at d = 50 (small dsyrk calls run far below BLAS-3's rate), 0.48d at
// 100, 0.29–0.36d at 200, 0.3d at 400 and 0.25d at 1000; d/4 + 16 follows all five
// (docs/performance.md). The earlier d/4 staged 30% of the rows of a 10-per-row problem with d = 50
// and made its Gram 1.6× slower.
inline int64_t denseRowThreshold(int64_t d) { return d < 4 ? 1 : d / 4 + 16; }
// The exact Gram's work by that rule: the scattered multiply-adds of the rows below the threshold,
// r(r + 1)/2 each, and the number of rows staged (all of them for dense rows). accumulateGramParallel
// balances its row blocks by it; `auto` for newton-pcg prices it (core/sketch/sketch.h).
struct ExactGramWork {
  int64_t scattered = 0, staged = 0;
};
inline int64_t scatteredMultiplyAdds(int64_t r) { return r * (r + 1) / 2; }
ExactGramWork exactGramWork(const MatrixView& c);

// M += α a aᵀ + β (a bᵀ + b aᵀ): the rank-2 term of the Hessian.
void addRank2(int64_t d, double alpha, const double* a, double beta, const double* b, double* m);
void addDiagonal(int64_t d, double value, double* m);
void symmetrize(int64_t d, double* m);  // copy upper → lower

// In-place Cholesky of the upper triangle (M = RᵀR). Returns false when M is not positive definite.
bool cholesky(int64_t d, double* m);
// Solves (RᵀR) x = rhs in place, R from cholesky().
void choleskySolve(int64_t d, const double* r, double* rhs);

// The k × d block product Aᵀ A, accumulated: M += α Aᵀ A for a row-major k × d matrix A, on
// par.threads threads. With syrkBlocks(k, d) ≥ 2 row blocks, one dsyrk per block into a private
// d × d matrix (block 0 into M), added in block order; otherwise by fixed column panels of M (dsyrk
// on the diagonal block, dgemm above it). Blocks and panels depend on k and d alone, so the bits do
// not depend on the thread count. Checks par's cancel flag after each row block (PassCancelled).
void accumulateSyrk(int64_t d, int64_t k, const double* a, double alpha, double* m, const Parallel& par = Parallel{});
// accumulateSyrk's row blocks for k × d (1: column panels instead), by the shape alone.
int64_t syrkBlocks(int64_t k, int64_t d);
// accumulateSyrk's allocation, in doubles: the row blocks' private matrices. core/footprint.cc counts it.
double syrkScratchWords(int64_t k, int64_t d);

// Smallest eigenvalue of a symmetric matrix (full storage). Used by tests and certificates.
double smallestEigenvalue(int64_t d, const double* m);

}  // namespace softnewton
