// The input matrix C, seen without copying: CSR (indptr, indices, values) or dense row-major.
// z = Cx and g = Cᵀr are the only places the data meets the model; both touch every stored entry
// once.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace softnewton {

struct MatrixView {
  int64_t rows = 0;
  int64_t cols = 0;
  // Dense layout: rows × cols, row-major. When null, the CSR arrays below are used.
  const double* dense = nullptr;
  // CSR layout: indptr has rows + 1 entries; indices (0-based, strictly increasing within a row)
  // and values have indptr[rows] entries.
  const int32_t* indptr = nullptr;
  const int32_t* indices = nullptr;
  const double* values = nullptr;

  bool isDense() const { return dense != nullptr; }
  int64_t nnz() const { return isDense() ? rows * cols : indptr[rows]; }
  int64_t rowNnz(int64_t i) const { return isDense() ? cols : indptr[i + 1] - indptr[i]; }
  // Σ_i nnz(row_i)²: the cost of forming Cᵀ diag(D) C exactly.
  double exactGramCost() const;

  // z = C x (z has `rows` entries), on the calling thread.
  void multiply(const double* x, double* z) const;
  // g = Cᵀ r (g has `cols` entries; overwritten), on the calling thread.
  void multiplyTransposed(const double* r, double* g) const;

  // The same passes over rows [begin, end) only, for row blocks run on several threads.
  // z[i] = (C x)_i for i in [begin, end).
  void multiplyRows(const double* x, double* z, int64_t begin, int64_t end) const;
  // out (cols × k, interleaved: out[j·k + c]) = Σ_{i in [begin, end)} C_ij · r[c][i] for k ≤ 3 row
  // vectors r[0], …, r[k − 1]: one pass over the rows for all of them.
  void transposedRows(const double* const* r, int k, int64_t begin, int64_t end, double* out) const;
  // Dense rows only: t[i] = (C x)_i for i in [begin, end), and out (cols, not zeroed) += Σ_i
  // weight[i]·t[i]·C_i, each row read once from memory (the normal-equations product of a Hessian–
  // vector product).
  void normalRows(const double* x, const double* weight, double* t, double* out, int64_t begin, int64_t end) const;

  // Calls f(column, value) for each stored entry of row i, in column order.
  template <class F>
  void forEachInRow(int64_t i, F&& f) const {
    if (isDense()) {
      const double* row = dense + i * cols;
      for (int64_t j = 0; j < cols; ++j) f(j, row[j]);
    } else {
      for (int32_t p = indptr[i]; p < indptr[i + 1]; ++p) f(static_cast<int64_t>(indices[p]), values[p]);
    }
  }
  // Writes row i, scaled by `scale`, into a dense buffer of `cols` entries (zeroed first).
  void scatterRow(int64_t i, double scale, double* out) const;
};

// Fixed row blocks for the parallel passes. The boundaries depend on the data alone, never on the
// thread count: each block's partial sums are combined in block order, so every pass gives the same
// bits whatever the number of threads (docs/performance.md).
struct RowBlocks {
  std::vector<int64_t> start;  // block b is rows [start[b], start[b + 1])
  int64_t count() const { return static_cast<int64_t>(start.size()) - 1; }
  int64_t begin(int64_t b) const { return start[b]; }
  int64_t end(int64_t b) const { return start[b + 1]; }
};
// At most kMaxRowBlocks blocks of at least kMinBlockWork units (a stored entry is one unit, a row's
// own per-row work kRowWork more).
constexpr int64_t kMaxRowBlocks = 64;
constexpr int64_t kMinBlockWork = int64_t{1} << 15;
constexpr int64_t kRowWork = 8;
RowBlocks makeRowBlocks(const MatrixView& c);

// Checks everything memory safety depends on (sizes, indptr monotone and in range, column indices
// in range and strictly increasing within a row) and that every value is finite. Returns an empty
// string when the view is valid, otherwise a message that names the field.
std::string validate(const MatrixView& c, int64_t indicesLength, int64_t valuesLength,
                     int64_t denseLength);

}  // namespace softnewton
