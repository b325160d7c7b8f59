#include "fuzz/targets.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/linalg.h"
#include "core/matrix.h"
#include "core/model.h"
#include "core/objective.h"
#include "core/sketch/sketch.h"
#include "core/solver/solver.h"

namespace softnewton::fuzz {

namespace {

[[noreturn]] void broken(const char* target, const std::string& promise) {
  std::fprintf(stderr, "fuzz target %s: broken promise: %s\n", target, promise.c_str());
  std::abort();
}

// Reads the input front to back; past its end every read gives zeros, so any prefix is an input.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  bool empty() const { return p_ >= end_; }

  uint64_t raw64() {
    uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v = v << 8 | byte();
    return v;
  }

  // Any double, NaN and ±Inf included: what a careless caller could put in an array.
  double anyDouble() {
    const uint8_t b = byte();
    if (b < 160) return (static_cast<int>(b) - 80) / 8.0;  // small values, exactly representable
    if (b < 160 + kSpecialCount) return kSpecial[b - 160];
    const uint64_t bits = raw64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }

  // A finite double: what the binding lets through (it rejects NaN and ±Inf).
  double finiteDouble() {
    const double v = anyDouble();
    return std::isfinite(v) ? v : 0.5;
  }

  int32_t int32() {
    const uint8_t b = byte();
    if (b < 200) return static_cast<int32_t>(b) - 20;  // -20 … 179: around every small size
    if (b < 250) return kInt32Special[(b - 200) % kInt32SpecialCount];
    return static_cast<int32_t>(static_cast<uint32_t>(raw64()));
  }

 private:
  static constexpr double kSpecial[] = {
      0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 5e-324, 1e300, -1e300,
      std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
      709.0, 710.0, -745.0, 1e154, 1e155, 1e16, 1e-16, 3.0e4, -3.0e4,
      std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(), 0.1, 1e8, -1e8, 37.0, -37.0, 1e-8};
  static constexpr int kSpecialCount = sizeof(kSpecial) / sizeof(kSpecial[0]);
  static constexpr int32_t kInt32Special[] = {INT32_MIN, INT32_MAX, INT32_MAX - 1, -1, 0, 1 << 30, 1 << 16, 255, 256};
  static constexpr int kInt32SpecialCount = sizeof(kInt32Special) / sizeof(kInt32Special[0]);
  const uint8_t* p_;
  const uint8_t* end_;
};

bool allFinite(const std::vector<double>& v) {
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

// A matrix with its own storage, built from the bytes. Arrays are heap vectors of exactly their
// stated lengths (so the sanitizer sees one element past the end), and an empty array has a null
// pointer, as a zero-length typed array does in the binding.
struct OwnedMatrix {
  std::vector<int32_t> indptr, indices;
  std::vector<double> values, dense;
  MatrixView view;
  int64_t indicesLength = 0, valuesLength = 0, denseLength = 0;

  void point() {
    view.indptr = view.dense ? nullptr : indptr.data();
    view.indices = indices.empty() ? nullptr : indices.data();
    view.values = values.empty() ? nullptr : values.data();
  }
};

// `maxRows`/`maxCols` bound the size; `anyValues`: NaN and ±Inf allowed in the values.
std::unique_ptr<OwnedMatrix> readMatrix(Reader& in, int maxRows, int maxCols, bool anyValues) {
  auto m = std::make_unique<OwnedMatrix>();
  const uint8_t shape = in.byte();
  m->view.rows = shape % (maxRows + 1);
  m->view.cols = (shape / (maxRows + 1)) % (maxCols + 1);  // 0 is invalid: validate must say so
  auto value = [&]() { return anyValues ? in.anyDouble() : in.finiteDouble(); };
  if (in.byte() & 1) {
    // Dense: the binding checks data.length == rows * cols; validate checks it again.
    const int64_t expected = m->view.rows * m->view.cols;
    const uint8_t lengthMode = in.byte();
    const int64_t length = lengthMode < 240 ? expected : lengthMode % 8;
    m->dense.resize(length);
    for (auto& v : m->dense) v = value();
    static const double kNoRows = 0.0;  // as the binding: a non-null pointer for an empty array
    m->view.dense = m->dense.empty() ? &kNoRows : m->dense.data();
    m->denseLength = length;
  } else {
    // CSR: the binding guarantees indptr has rows + 1 entries; indices and values any length.
    m->indptr.resize(m->view.rows + 1);
    const bool structured = in.byte() < 200;
    int32_t running = 0;
    for (auto& p : m->indptr) {
      if (structured) {
        // Mostly well formed (so the passes after validation run), sometimes subtly wrong.
        const uint8_t b = in.byte();
        running += b < 240 ? b % 4 : -1;
        p = &p == &m->indptr.front() && b < 250 ? 0 : running;
      } else {
        p = in.int32();
      }
    }
    const uint8_t lengths = in.byte();
    const int64_t nnz = m->indptr.back() > 0 && m->indptr.back() < 4096 ? m->indptr.back() : 0;
    m->indicesLength = lengths < 220 ? nnz : lengths % 16;
    m->valuesLength = lengths < 235 ? m->indicesLength : (lengths >> 2) % 16;
    m->indices.resize(m->indicesLength);
    m->values.resize(m->valuesLength);
    // Column indices: increasing within a row most of the time, anything at times.
    int32_t column = -1;
    size_t row = 0;
    for (int64_t p = 0; p < m->indicesLength; ++p) {
      while (row + 1 < m->indptr.size() && m->indptr[row + 1] <= p) {
        ++row;
        column = -1;
      }
      const uint8_t b = in.byte();
      column = b < 230 ? static_cast<int32_t>(std::min<int64_t>(int64_t{column} + 1 + b % 3, INT32_MAX)) : in.int32();
      m->indices[p] = column;
    }
    for (auto& v : m->values) v = value();
  }
  m->point();
  return m;
}

void checkFinite(const char* target, const char* what, const std::vector<double>& v) {
  if (!allFinite(v)) broken(target, std::string(what) + " is not finite");
}

ModelSpec readModel(Reader& in, int64_t n, std::vector<double>& storage) {
  // storage holds the per-row parameters and the target: 4 blocks of n.
  storage.assign(4 * n, 0.0);
  ModelSpec spec;
  const uint8_t kinds = in.byte();
  spec.kind = static_cast<ModelKind>(kinds % 3);
  spec.unit = static_cast<Unit>((kinds / 3) % 7);
  RowParameter* parameters[] = {&spec.scale, &spec.bias, &spec.weight};
  for (int k = 0; k < 3; ++k) {
    double* block = storage.data() + k * n;
    if (n > 0 && in.byte() & 1) {
      for (int64_t i = 0; i < n; ++i) block[i] = in.finiteDouble();
      parameters[k]->perRow = block;
    } else {
      parameters[k]->scalar = in.finiteDouble();
    }
  }
  double* target = storage.data() + 3 * n;
  for (int64_t i = 0; i < n; ++i) target[i] = in.finiteDouble();
  spec.target = target;
  spec.ridge = std::fabs(in.finiteDouble());
  return spec;
}

}  // namespace

int csrTarget(const uint8_t* data, size_t size) {
  Reader in(data, size);
  auto m = readMatrix(in, 12, 8, true);
  const MatrixView& c = m->view;
  const std::string verdict = validate(c, m->indicesLength, m->valuesLength, m->denseLength);
  if (!verdict.empty()) {
    // Every message names the field it is about, as the binding passes it on.
    if (verdict.rfind("C", 0) != 0) broken("csr", "message does not name a field of C: " + verdict);
    return 0;
  }
  const int64_t n = c.rows, d = c.cols;
  std::vector<double> x(d), z(n), r(n), g(d), row(d), w(n);
  for (auto& v : x) v = in.finiteDouble();
  for (auto& v : r) v = in.finiteDouble();
  for (auto& v : w) v = in.finiteDouble();
  c.multiply(x.data(), z.data());
  c.multiplyTransposed(r.data(), g.data());
  double cost = c.exactGramCost();
  if (!(cost >= 0)) broken("csr", "exactGramCost is negative or NaN");
  for (int64_t i = 0; i < n; ++i) {
    c.scatterRow(i, 2.0, row.data());
    int64_t seen = 0;
    c.forEachInRow(i, [&](int64_t j, double) {
      if (j < 0 || j >= d) broken("csr", "forEachInRow gave a column out of range");
      ++seen;
    });
    if (seen != c.rowNnz(i)) broken("csr", "forEachInRow and rowNnz disagree");
  }
  std::vector<double> exact(d * d, 0.0);
  accumulateGram(c, w.data(), nullptr, n, exact.data());
  // Each sketch on the accepted matrix, with a small k (and the option checks it must make).
  const uint8_t choice = in.byte();
  SketchOptions options;
  options.kind = static_cast<SketchKind>(choice % 6);
  options.rows = choice / 6 % 9;  // 0 is invalid for every kind but none
  options.osnapNonzeros = 1 + in.byte() % 4;
  options.seed = in.raw64();
  options.threads = 1 + in.byte() % 3;
  std::vector<double> sketched(d * d, 0.0);
  try {
    sketchGram(c, w.data(), options, sketched.data());
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    if (message.rfind("sketchRows:", 0) != 0 && message.rfind("osnapNonzeros:", 0) != 0)
      broken("csr", "sketchGram refused with a message naming no option: " + message);
  }
  return 0;
}

int modelTarget(const uint8_t* data, size_t size) {
  Reader in(data, size);
  const int64_t n = in.byte() % 24;
  std::vector<double> storage;
  const ModelSpec spec = readModel(in, n, storage);
  std::vector<double> z(n);
  for (auto& v : z) v = in.finiteDouble();
  RowTerms terms;
  const std::string problem = evaluateModel(spec, z.data(), n, terms);
  if (problem.empty()) {
    if (!std::isfinite(terms.loss) || terms.loss < 0) broken("model", "loss not finite or negative: " + std::to_string(terms.loss));
    if (!std::isfinite(terms.sigma)) broken("model", "sigma is not finite");
    checkFinite("model", "grad", terms.grad);
    checkFinite("model", "delta", terms.delta);
    checkFinite("model", "D", terms.D);
    checkFinite("model", "u0", terms.u0);
    checkFinite("model", "u1", terms.u1);
  } else if (problem.find("overflow") == std::string::npos) {
    broken("model", "a failure that is not an overflow: " + problem);
  }
  std::vector<double> y(n);
  predict(spec, z.data(), n, y.data());  // may be ±Inf for the exp unit; must not fail
  return 0;
}

int solveTarget(const uint8_t* data, size_t size) {
  Reader in(data, size);
  auto m = readMatrix(in, 10, 4, false);
  if (!validate(m->view, m->indicesLength, m->valuesLength, m->denseLength).empty()) return 0;
  const MatrixView& c = m->view;
  std::vector<double> storage;
  const ModelSpec spec = readModel(in, c.rows, storage);
  const Objective f(c, spec);

  SolverOptions o;
  const uint8_t methods = in.byte();
  o.method = static_cast<Method>(methods % 5);
  o.sketch.kind = static_cast<SketchKind>(methods / 5 % 6);
  o.sketch.rows = in.byte() % 12;  // 0: derived from eps0
  o.sketch.osnapNonzeros = 1;
  o.sketch.threads = 1 + in.byte() % 2;
  o.eps0 = 0.25 + (in.byte() % 3) * 0.25;
  o.tol = in.byte() & 1 ? 0.0 : 1e-8;
  o.atol = in.byte() & 1 ? 0.0 : 1e-12;
  o.decrementTol = in.byte() & 1 ? 0.0 : 1e-14;
  o.maxIterations = in.byte() % 6;
  o.maxInnerIterations = 1 + in.byte() % 8;
  o.lbfgsMemory = 1 + in.byte() % 4;
  o.seed = in.raw64();
  std::vector<double> x0(c.cols);
  const bool hasStart = in.byte() & 1;
  for (auto& v : x0) v = in.finiteDouble();

  SolveResult r;
  try {
    r = solve(f, hasStart ? x0.data() : nullptr, o, [&](const TraceRow& row) {
      static const bool debug = std::getenv("FUZZ_DEBUG") != nullptr;  // prints each row of a replayed input
      if (debug) std::fprintf(stderr, "row %d loss %g grad %g step %g mu %g dec %g\n", row.iteration, row.loss, row.gradNorm, row.step, row.mu, row.decrement);
      if (std::isnan(row.loss) || std::isnan(row.gradNorm)) broken("solve", "a trace row with NaN");
    });
  } catch (const std::invalid_argument& e) {
    broken("solve", std::string("valid options refused: ") + e.what());
  }
  if (std::isnan(r.loss) || std::isnan(r.gradNorm)) broken("solve", "NaN loss or gradient norm in the result");
  checkFinite("solve", "x", r.x);
  if (static_cast<int64_t>(r.x.size()) != c.cols) broken("solve", "x has the wrong length");
  if (r.converged && !(std::isfinite(r.loss) && std::isfinite(r.gradNorm)))
    broken("solve", "converged with a non-finite loss or gradient norm");
  if (r.trace.size() != static_cast<size_t>(r.iterations) + 1 && r.stopReason != StopReason::Overflow)
    broken("solve", "the trace does not have iterations + 1 rows");
  return 0;
}

}  // namespace softnewton::fuzz
