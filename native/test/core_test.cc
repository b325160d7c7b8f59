// The native core's own test suite: no Node, no JavaScript. Built with AddressSanitizer and
// UndefinedBehaviorSanitizer by native/test/Makefile, run by test/native-sanitizers.test.ts.
//
// It exercises matrix validation and the passes over C, every model and unit (against finite
// differences), the objective's Hessian pieces, every sketch, every solver method and each stop
// reason on small generated problems, and replays every stored fuzz input (native/fuzz/corpus and
// native/fuzz/regressions) through the fuzz targets.
//
// Usage: core_test [FUZZ_DIR] [--filter SUBSTRING]
// Ends with the line "N passed, N failed"; exit status 1 when a test failed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/linalg.h"
#include "core/matrix.h"
#include "core/model.h"
#include "core/objective.h"
#include "core/planted.h"
#include "core/vmath.h"
#include "core/random.h"
#include "core/sketch/sketch.h"
#include "core/solver/loop.h"
#include "core/solver/methods.h"
#include "core/solver/solver.h"
#include "fuzz/targets.h"

using namespace softnewton;

// ---------------------------------------------------------------------------------------------
// A minimal test harness: TEST registers a function, CHECK throws on failure.

namespace {

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Registered {
  const char* name;
  void (*run)();
};

std::vector<Registered>& registry() {
  static std::vector<Registered> tests;
  return tests;
}

struct Registrar {
  Registrar(const char* name, void (*run)()) { registry().push_back({name, run}); }
};

std::string fuzzDirectory = "native/fuzz";

[[noreturn]] void fail(const char* file, int line, const std::string& what) {
  std::ostringstream s;
  s << file << ":" << line << ": " << what;
  throw Failure(s.str());
}

}  // namespace

#define TEST(name)                                   \
  static void name();                                \
  static const Registrar registrar_##name(#name, name); \
  static void name()
#define CHECK(cond)                                        \
  do {                                                     \
    if (!(cond)) fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)
#define CHECK_MSG(cond, message)                                                 \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::ostringstream check_message_;                                         \
      check_message_ << "CHECK(" #cond "): " << message;                         \
      fail(__FILE__, __LINE__, check_message_.str());                            \
    }                                                                            \
  } while (0)
#define CHECK_NEAR(a, b, tolerance)                                                                   \
  do {                                                                                                \
    const double check_a_ = (a), check_b_ = (b);                                                      \
    if (!(std::fabs(check_a_ - check_b_) <= (tolerance)))                                             \
      fail(__FILE__, __LINE__, std::string(#a " = ") + std::to_string(check_a_) + ", " #b " = " +      \
                                   std::to_string(check_b_) + " (tolerance " #tolerance ")");        \
  } while (0)
#define CHECK_THROWS(expr, prefix)                                                                \
  do {                                                                                            \
    bool threw_ = false;                                                                          \
    try {                                                                                         \
      (void)(expr);                                                                               \
    } catch (const std::invalid_argument& e) {                                                    \
      threw_ = true;                                                                              \
      CHECK_MSG(std::string(e.what()).rfind(prefix, 0) == 0, "message \"" << e.what() << "\""); \
    }                                                                                             \
    CHECK_MSG(threw_, #expr " did not throw std::invalid_argument");                             \
  } while (0)

namespace {

// ---------------------------------------------------------------------------------------------
// Fixtures

bool allFinite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t j = 0; j < a.size(); ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return std::sqrt(s);
}

// A planted problem with its storage: C (CSR), b, x*, the model spec pointing into them.
struct Planted {
  PlantedProblem data;
  MatrixView c;
  ModelSpec spec;
  std::vector<double> scale, bias;

  Planted(int64_t rows, int64_t cols, double density, uint64_t seed, Unit unit = Unit::Sigmoid,
          ModelKind kind = ModelKind::SoftmaxUnit, double noise = 0.0, double scaleValue = -1) {
    spec.kind = kind;
    spec.unit = unit;
    spec.scale.scalar = scaleValue > 0 ? scaleValue : static_cast<double>(rows);  // a = n (docs/math.md §6)
    spec.bias.scalar = unit == Unit::Relu ? -0.25 : 0.0;
    PlantedOptions o;
    o.rows = rows;
    o.cols = cols;
    o.density = density;
    o.seed = seed;
    o.noise = noise;
    data = generatePlanted(o, spec);
    c.rows = rows;
    c.cols = cols;
    c.indptr = data.indptr.data();
    c.indices = data.indices.empty() ? nullptr : data.indices.data();
    c.values = data.values.empty() ? nullptr : data.values.data();
    spec.target = data.target.data();
  }
  Planted(const Planted&) = delete;
  Objective objective() const { return Objective(c, spec); }
};

// The dense copy of a view, row-major.
std::vector<double> toDense(const MatrixView& c) {
  std::vector<double> out(c.rows * c.cols, 0.0);
  for (int64_t i = 0; i < c.rows; ++i) c.forEachInRow(i, [&](int64_t j, double v) { out[i * c.cols + j] = v; });
  return out;
}

std::vector<double> randomVector(int64_t n, uint64_t seed, double scale = 1.0) {
  Rng rng(seed);
  std::vector<double> v(n);
  for (auto& x : v) x = scale * rng.normal();
  return v;
}

// ---------------------------------------------------------------------------------------------
// Matrix: validation names the field, and the passes agree with a dense reference

struct CsrCase {
  const char* what;
  int64_t rows, cols;
  std::vector<int32_t> indptr, indices;
  std::vector<double> values;
  const char* field;  // the message's prefix; "" when valid
};

TEST(matrix_validation_names_the_field) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<CsrCase> cases = {
      {"valid", 3, 4, {0, 2, 2, 4}, {0, 3, 1, 2}, {1.5, -2, 0.5, 3}, ""},
      {"no entries", 3, 2, {0, 0, 0, 0}, {}, {}, ""},
      {"no rows", 0, 2, {0}, {}, {}, ""},
      {"cols 0", 3, 0, {0, 0, 0, 0}, {}, {}, "C:"},
      {"rows negative", -1, 2, {0}, {}, {}, "C:"},
      {"indptr not at 0", 3, 4, {1, 2, 2, 4}, {0, 3, 1, 2}, {1, 2, 3, 4}, "C.indptr:"},
      {"indptr negative start", 3, 4, {-1, 2, 2, 4}, {0, 3, 1, 2}, {1, 2, 3, 4}, "C.indptr:"},
      {"indptr decreasing", 3, 4, {0, 3, 1, 4}, {0, 3, 1, 2}, {1, 2, 3, 4}, "C.indptr:"},
      {"indptr past the arrays", 3, 4, {0, 2, 2, INT32_MAX}, {0, 3, 1, 2}, {1, 2, 3, 4}, "C.indptr:"},
      {"indptr short of the arrays", 3, 4, {0, 2, 2, 3}, {0, 3, 1, 2}, {1, 2, 3, 4}, "C.indptr:"},
      {"values short", 3, 4, {0, 2, 2, 4}, {0, 3, 1, 2}, {1, 2, 3}, "C.values:"},
      {"column = cols", 3, 4, {0, 2, 2, 4}, {0, 4, 1, 2}, {1, 2, 3, 4}, "C.indices:"},
      {"column negative", 3, 4, {0, 2, 2, 4}, {0, 3, -1, 2}, {1, 2, 3, 4}, "C.indices:"},
      {"column INT32_MIN", 3, 4, {0, 2, 2, 4}, {0, 3, INT32_MIN, 2}, {1, 2, 3, 4}, "C.indices:"},
      {"duplicate column", 3, 4, {0, 2, 2, 4}, {0, 3, 2, 2}, {1, 2, 3, 4}, "C.indices:"},
      {"unsorted columns", 3, 4, {0, 2, 2, 4}, {3, 0, 1, 2}, {1, 2, 3, 4}, "C.indices:"},
      {"NaN value", 3, 4, {0, 2, 2, 4}, {0, 3, 1, 2}, {1, nan, 3, 4}, "C.values:"},
      {"Inf value", 3, 4, {0, 2, 2, 4}, {0, 3, 1, 2}, {1, 2, 3, -inf}, "C.values:"},
  };
  for (const auto& k : cases) {
    // Exactly sized heap copies: reading one past the end is an ASan error.
    auto indptr = std::make_unique<int32_t[]>(k.indptr.size());
    std::copy(k.indptr.begin(), k.indptr.end(), indptr.get());
    std::vector<int32_t> indices = k.indices;
    std::vector<double> values = k.values;
    MatrixView c;
    c.rows = k.rows;
    c.cols = k.cols;
    c.indptr = indptr.get();
    c.indices = indices.empty() ? nullptr : indices.data();
    c.values = values.empty() ? nullptr : values.data();
    const std::string verdict = validate(c, static_cast<int64_t>(indices.size()), static_cast<int64_t>(values.size()), 0);
    if (std::strlen(k.field) == 0) {
      CHECK_MSG(verdict.empty(), k.what << ": " << verdict);
    } else {
      CHECK_MSG(verdict.rfind(k.field, 0) == 0, k.what << ": expected \"" << k.field << "…\", got \"" << verdict << "\"");
    }
  }
  // Dense: length and finiteness.
  std::vector<double> data = {1, 2, 3, 4, 5, 6};
  MatrixView dense;
  dense.rows = 2;
  dense.cols = 3;
  dense.dense = data.data();
  CHECK(validate(dense, 0, 0, 6).empty());
  CHECK(validate(dense, 0, 0, 5).rfind("C.data:", 0) == 0);
  data[4] = std::numeric_limits<double>::quiet_NaN();
  CHECK(validate(dense, 0, 0, 6).rfind("C.data:", 0) == 0);
  dense.rows = INT64_MAX / 2;
  CHECK(validate(dense, 0, 0, 6).rfind("C", 0) == 0);
  // CSR arrays missing while their lengths say otherwise.
  MatrixView missing;
  missing.rows = 1;
  missing.cols = 1;
  CHECK(validate(missing, 0, 0, 0).rfind("C:", 0) == 0);
  const int32_t indptr[2] = {0, 1};
  missing.indptr = indptr;
  CHECK(validate(missing, 1, 1, 0).rfind("C:", 0) == 0);
}

TEST(matrix_passes_match_dense_reference) {
  for (double density : {0.3, 1.0}) {
    Planted p(37, 9, density, 5);
    const std::vector<double> dense = toDense(p.c);
    MatrixView d;
    d.rows = p.c.rows;
    d.cols = p.c.cols;
    d.dense = dense.data();
    CHECK(validate(p.c, static_cast<int64_t>(p.data.indices.size()), static_cast<int64_t>(p.data.values.size()), 0).empty());
    CHECK(validate(d, 0, 0, static_cast<int64_t>(dense.size())).empty());
    const std::vector<double> x = randomVector(9, 1), r = randomVector(37, 2);
    std::vector<double> z1(37), z2(37), g1(9), g2(9), ref(9, 0.0);
    p.c.multiply(x.data(), z1.data());
    d.multiply(x.data(), z2.data());
    p.c.multiplyTransposed(r.data(), g1.data());
    d.multiplyTransposed(r.data(), g2.data());
    for (int64_t i = 0; i < 37; ++i) {
      double s = 0;
      for (int64_t j = 0; j < 9; ++j) {
        s += dense[i * 9 + j] * x[j];
        ref[j] += dense[i * 9 + j] * r[i];
      }
      CHECK_NEAR(z1[i], s, 1e-12);
      CHECK_NEAR(z2[i], s, 1e-12);
    }
    for (int64_t j = 0; j < 9; ++j) {
      CHECK_NEAR(g1[j], ref[j], 1e-12);
      CHECK_NEAR(g2[j], ref[j], 1e-12);
    }
    double cost = 0;
    for (int64_t i = 0; i < 37; ++i) cost += static_cast<double>(p.c.rowNnz(i) * p.c.rowNnz(i));
    CHECK(p.c.exactGramCost() == cost);
    CHECK(d.exactGramCost() == 37.0 * 81.0);
    std::vector<double> row(9);
    p.c.scatterRow(3, 2.0, row.data());
    for (int64_t j = 0; j < 9; ++j) CHECK(row[j] == 2.0 * dense[3 * 9 + j]);
  }
}

// Rows of 0 to 20 entries, so that the fixed-width short-row kernels (core/matrix.cc) meet every
// length, rows at the very end of the arrays (where they must not read past), a view of a middle
// slice of rows (its entries end before the arrays do), and a column so large in x that a product
// read past a row's end would overflow if it were not dropped.
TEST(row_passes_of_every_row_length_match_a_plain_loop) {
  const int64_t d = 23;
  Rng rng(11);
  std::vector<int32_t> indptr{0}, indices;
  std::vector<double> values;
  for (int64_t i = 0; i < 300; ++i) {
    const int len = static_cast<int>(i < 21 ? i : (i * 7) % 21);
    std::vector<int32_t> cols(d);
    for (int32_t j = 0; j < d; ++j) cols[j] = j;
    for (int k = 0; k < len; ++k) std::swap(cols[k], cols[k + static_cast<int>(rng.uniform() * (d - k))]);
    std::sort(cols.begin(), cols.begin() + len);
    for (int k = 0; k < len; ++k) {
      indices.push_back(cols[k]);
      values.push_back(cols[k] == d - 1 ? 1e300 : rng.normal());
    }
    indptr.push_back(static_cast<int32_t>(indices.size()));
  }
  std::vector<double> x = randomVector(d, 12);
  x[d - 1] = 1e10;  // × 1e300 overflows: only the rows that hold column d − 1 may be infinite
  const std::vector<double> r0 = randomVector(300, 13), r1 = randomVector(300, 14), r2 = randomVector(300, 15);
  const int64_t starts[2] = {0, 97}, counts[2] = {300, 120};
  for (int v = 0; v < 2; ++v) {
    MatrixView c;
    c.rows = counts[v];
    c.cols = d;
    // The slice gets its own indptr; indices and values are the whole arrays (its entries end inside).
    std::vector<int32_t> sliceIndptr(indptr.begin() + starts[v], indptr.begin() + starts[v] + counts[v] + 1);
    c.indptr = sliceIndptr.data();
    c.indices = indices.data();
    c.values = values.data();
    std::vector<double> z(c.rows, -1.0);
    c.multiplyRows(x.data(), z.data(), 0, c.rows);
    for (int64_t i = 0; i < c.rows; ++i) {
      double plain = 0.0;
      bool overflowing = false;
      c.forEachInRow(i, [&](int64_t j, double value) {
        plain += value * x[j];
        overflowing |= j == d - 1;
      });
      if (overflowing)
        CHECK(!std::isfinite(z[i]));
      else
        CHECK_NEAR(z[i], plain, 1e-12 * (1 + std::fabs(plain)));
    }
    for (int k = 1; k <= 3; ++k) {
      const double* r[3] = {r0.data() + starts[v], r1.data() + starts[v], r2.data() + starts[v]};
      // Two sub-ranges, to start and stop inside the view.
      for (int64_t lo : {int64_t{0}, int64_t{5}}) {
        const int64_t hi = c.rows - lo;
        std::vector<double> out(d * k, 99.0), plain(d * k, 0.0);
        c.transposedRows(r, k, lo, hi, out.data());
        for (int64_t i = lo; i < hi; ++i)
          c.forEachInRow(i, [&](int64_t j, double value) {
            for (int col = 0; col < k; ++col) plain[j * k + col] += value * r[col][i];
          });
        for (int64_t j = 0; j < d - 1; ++j)
          for (int col = 0; col < k; ++col)
            CHECK_NEAR(out[j * k + col], plain[j * k + col], 1e-12 * (1 + std::fabs(plain[j * k + col])));
        for (int col = 0; col < k; ++col)
          CHECK(out[(d - 1) * k + col] == plain[(d - 1) * k + col]);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Models and the objective: against central differences; overflow is a message, never NaN

TEST(models_match_finite_differences_every_kind_and_unit) {
  const int64_t n = 7, d = 4;
  const std::vector<double> data = randomVector(n * d, 3, 0.7);
  MatrixView c;
  c.rows = n;
  c.cols = d;
  c.dense = data.data();
  const std::vector<double> b = randomVector(n, 4, 0.5), w = {0.1, 0.0, 0.3, 0.2, 0.0, 0.5, 0.05};
  const std::vector<double> scale = {2, 3, 1.5, 2.5, 4, 1, 3};
  for (int kind = 0; kind < 3; ++kind) {
    for (int unit = 0; unit < 7; ++unit) {
      ModelSpec spec;
      spec.kind = static_cast<ModelKind>(kind);
      spec.unit = static_cast<Unit>(unit);
      spec.scale.perRow = scale.data();
      spec.bias.scalar = -0.1;
      spec.weight.perRow = w.data();
      spec.ridge = 0.01;
      spec.target = b.data();
      const Objective f(c, spec);
      const std::vector<double> x = randomVector(d, 10 + unit + 7 * kind, 0.8);
      Point at;
      CHECK(f.evaluate(x.data(), at).empty());
      CHECK(std::isfinite(at.loss) && at.loss >= 0);
      f.prepareHessian(at);
      std::vector<double> h(d * d);
      f.denseHessian(at, h.data());
      const double step = 1e-6;
      for (int64_t j = 0; j < d; ++j) {
        std::vector<double> plus = x, minus = x;
        plus[j] += step;
        minus[j] -= step;
        Point a, m;
        CHECK(f.evaluate(plus.data(), a).empty());
        CHECK(f.evaluate(minus.data(), m).empty());
        const double fd = (a.loss - m.loss) / (2 * step);
        CHECK_MSG(std::fabs(fd - at.gradient[j]) <= 1e-5 * (1 + std::fabs(fd)),
                  "kind " << kind << " unit " << unit << " gradient[" << j << "] " << at.gradient[j] << " vs " << fd);
        for (int64_t k = 0; k < d; ++k) {
          const double fdh = (a.gradient[k] - m.gradient[k]) / (2 * step);
          // relu's generalised Hessian differs from differences only at kinks (none here).
          CHECK_MSG(std::fabs(fdh - h[j * d + k]) <= 1e-4 * (1 + std::fabs(fdh)),
                    "kind " << kind << " unit " << unit << " H[" << j << "," << k << "] " << h[j * d + k] << " vs " << fdh);
        }
      }
      // ∇²L v by two passes equals the dense Hessian times v.
      const std::vector<double> v = randomVector(d, 99);
      std::vector<double> hv(d);
      Scratch scratch;
      f.hessianVector(at, v.data(), hv.data(), scratch);
      for (int64_t j = 0; j < d; ++j) {
        double s = 0;
        for (int64_t k = 0; k < d; ++k) s += h[j * d + k] * v[k];
        CHECK_NEAR(hv[j], s, 1e-9 * (1 + std::fabs(s)));
      }
    }
  }
}

TEST(model_overflow_is_a_message_not_nan) {
  const int64_t n = 5;
  std::vector<double> z = {800, 0, -3, 2, 1}, b(n, 0.5);
  ModelSpec spec;
  spec.unit = Unit::Exp;
  spec.scale.scalar = 1e6;  // v = a·s reaches 1e6: exp overflows
  spec.target = b.data();
  RowTerms terms;
  const std::string problem = evaluateModel(spec, z.data(), n, terms);
  CHECK_MSG(problem.find("overflow") != std::string::npos, problem);
  // Saturating units at the same v stay finite.
  for (Unit unit : {Unit::Sigmoid, Unit::Tanh, Unit::Softplus, Unit::Gelu, Unit::Relu, Unit::Identity}) {
    spec.unit = unit;
    CHECK(evaluateModel(spec, z.data(), n, terms).empty());
    CHECK(std::isfinite(terms.loss) && allFinite(terms.grad) && allFinite(terms.D) && allFinite(terms.u1));
  }
  // n = 0 is legal and has loss 0.
  CHECK(evaluateModel(spec, nullptr, 0, terms).empty());
  CHECK(terms.loss == 0);
  // softmax of ±1e4 (exp(z) alone would overflow) is finite.
  std::vector<double> wide = {1e4, -1e4, 0, 1e4 - 1, 3};
  spec.unit = Unit::Identity;
  spec.scale.scalar = 1;
  CHECK(evaluateModel(spec, wide.data(), n, terms).empty());
  CHECK(allFinite(terms.grad) && allFinite(terms.u0));
}

// ---------------------------------------------------------------------------------------------
// Linear algebra

// Distance in units in the last place between two finite doubles of the same sign.
int64_t ulpsApart(double a, double b) {
  if (a == b) return 0;
  int64_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  return x > y ? x - y : y - x;
}

TEST(vectorised_exp_and_log1p_are_within_2_ulp_of_libm) {
  // Every variant (AVX-512, AVX2, scalar) runs the same operations; this checks the one this CPU uses.
  const int n = 400000;
  std::vector<double> in(n), out(n);
  for (int i = 0; i < n; ++i) in[i] = -760.0 + 1480.0 * i / n;  // through the under- and overflow ends
  in[7] = NAN;
  in[8] = INFINITY;
  in[9] = -INFINITY;
  vexp(in.data(), out.data(), n);
  int64_t worst = 0;
  for (int i = 0; i < n; ++i) {
    const double expected = std::exp(in[i]);
    if (std::isnan(expected)) {
      CHECK(std::isnan(out[i]));
      continue;
    }
    worst = std::max(worst, ulpsApart(expected, out[i]));
  }
  CHECK_MSG(worst <= 2, vmathVariant() << " exp: " << worst << " ulp from libm");
  // In place, and lengths that are not a multiple of the vector width.
  std::vector<double> small = {-1.0, 0.0, 0.5, 2.0, 700.0};
  vexp(small.data(), small.data(), 5);
  for (int i = 0; i < 5; ++i) CHECK(ulpsApart(small[i], std::exp(std::vector<double>{-1.0, 0.0, 0.5, 2.0, 700.0}[i])) <= 2);
  for (int i = 0; i < n; ++i) in[i] = -0.9999 + 60.0 * (static_cast<double>(i) / n) * (static_cast<double>(i) / n);
  vlog1p(in.data(), out.data(), n);
  worst = 0;
  for (int i = 0; i < n; ++i) worst = std::max(worst, ulpsApart(std::log1p(in[i]), out[i]));
  CHECK_MSG(worst <= 2, vmathVariant() << " log1p: " << worst << " ulp from libm");
}

TEST(helper_team_runs_every_part_once_rethrows_nests_and_serves_concurrent_callers) {
  // Every part runs exactly once, on as many threads as parts, repeatedly (the team is reused).
  for (int round = 0; round < 50; ++round) {
    const int parts = 1 + round % 7;
    std::vector<std::atomic<int>> ran(parts);
    runParts(parts, [&](int part) { ran[part].fetch_add(1); });
    for (int part = 0; part < parts; ++part) CHECK_MSG(ran[part].load() == 1, "round " << round << " part " << part);
  }
  // The lowest part's exception is rethrown after every part has ended.
  std::atomic<int> finished{0};
  bool threw = false;
  try {
    runParts(4, [&](int part) {
      if (part >= 2) throw std::runtime_error("part " + std::to_string(part));
      finished.fetch_add(1);
    });
  } catch (const std::runtime_error& e) {
    threw = std::string(e.what()) == "part 2";
  }
  CHECK(threw);
  CHECK(finished.load() == 2);
  // A pass inside a part runs its parts on that thread, and the team still works afterwards.
  std::atomic<int> inner{0};
  runParts(3, [&](int) { runParts(3, [&](int) { inner.fetch_add(1); }); });
  CHECK(inner.load() == 9);
  // Callers on several threads at once, each with its own team, each team dying with its thread.
  std::vector<std::thread> callers;
  std::atomic<int64_t> total{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int round = 0; round < 100; ++round) forEachItem(3, 10, [&](int64_t item) { total.fetch_add(item); });
    });
  for (auto& caller : callers) caller.join();
  CHECK(total.load() == 4 * 100 * 45);
}

TEST(objective_passes_give_the_same_bits_for_every_thread_count) {
  Planted p(30000, 12, 0.5, 3);
  const Objective base = p.objective();
  const std::vector<double> x = randomVector(12, 4, 0.5), v = randomVector(12, 5, 1.0);
  std::vector<double> reference;
  for (int threads : {1, 2, 3, 7}) {
    const Objective f = base.with(Execution{threads});
    Point at;
    CHECK(f.evaluate(x.data(), at, Order::Hessian).empty());
    std::vector<double> hv(12), h(144);
    Scratch scratch;
    f.hessianVector(at, v.data(), hv.data(), scratch);
    f.denseHessian(at, h.data());
    std::vector<double> all = at.gradient;
    all.push_back(at.loss);
    all.insert(all.end(), at.ctU0.begin(), at.ctU0.end());
    all.insert(all.end(), hv.begin(), hv.end());
    all.insert(all.end(), h.begin(), h.end());
    if (reference.empty()) reference = all;
    CHECK_MSG(std::memcmp(all.data(), reference.data(), sizeof(double) * all.size()) == 0, "threads " << threads);
    // The loss alone equals the loss of the full evaluation, bit for bit.
    Point lossOnly;
    CHECK(f.evaluate(x.data(), lossOnly, Order::Loss).empty());
    CHECK(lossOnly.loss == at.loss);
  }
}

TEST(linalg_cholesky_solve_and_eigenvalues) {
  std::vector<double> indefinite = {1, 2, 2, 1};
  CHECK(!cholesky(2, indefinite.data()));
  std::vector<double> a = {4, 1, 0, 1, 3, 1, 0, 1, 2};  // symmetric positive definite
  std::vector<double> factor = a, rhs = {1, 2, 3};
  CHECK(cholesky(3, factor.data()));
  choleskySolve(3, factor.data(), rhs.data());
  for (int i = 0; i < 3; ++i) {
    double s = 0;
    for (int j = 0; j < 3; ++j) s += a[i * 3 + j] * rhs[j];
    CHECK_NEAR(s, i + 1.0, 1e-12);
  }
  std::vector<double> diag = {3, 0, 0, -2};
  CHECK_NEAR(smallestEigenvalue(2, diag.data()), -2.0, 1e-12);
  // accumulateSyrk against a naive AᵀA.
  const std::vector<double> rows = randomVector(5 * 3, 8);
  std::vector<double> m(9, 0.0);
  accumulateSyrk(3, 5, rows.data(), 1.0, m.data());
  for (int i = 0; i < 3; ++i)
    for (int j = i; j < 3; ++j) {
      double s = 0;
      for (int r = 0; r < 5; ++r) s += rows[r * 3 + i] * rows[r * 3 + j];
      CHECK_NEAR(m[i + j * 3], s, 1e-12);
    }
}

TEST(damping_gives_up_on_a_matrix_no_damping_fixes_and_never_hangs) {
  double mu = 0;
  std::vector<double> factor;
  // Positive definite: no damping.
  CHECK(detail::factorWithDamping(2, {2, 0, 0, 3}, factor, &mu));
  CHECK(mu == 0);
  // Indefinite with a small diagonal: damping up to 1e8 · max|diag| cannot fix [[0, K], [K, 0]].
  CHECK(!detail::factorWithDamping(2, {0, 1e10, 1e10, 0}, factor, &mu));
  // Moderately indefinite: fixed by some μ > 0.
  mu = 0;
  CHECK(detail::factorWithDamping(2, {1, 2, 2, 1}, factor, &mu));
  CHECK(mu >= 1 - 1e-12);  // the eigenvalues are 3 and −1
  // Non-finite or near-overflow entries: must return (false), not loop forever.
  const double inf = std::numeric_limits<double>::infinity();
  const auto started = std::chrono::steady_clock::now();
  mu = 0;
  CHECK(!detail::factorWithDamping(2, {inf, 1, 1, -inf}, factor, &mu));
  mu = 0;
  // max|diag| = 1e301: the limit 1e8·max|diag| is +Inf and μ reaches +Inf (the old loop never ended).
  CHECK(!detail::factorWithDamping(2, {1e301, 1.7e308, 1.7e308, 1e301}, factor, &mu));
  mu = 0;
  CHECK(!detail::factorWithDamping(2, {std::nan(""), 0, 0, 1}, factor, &mu));
  // A subnormal diagonal: 1e-8 · max|diag| underflows to 0 (the old loop retried μ = 0 forever).
  mu = 0;
  CHECK(!detail::factorWithDamping(2, {1e-320, 1e-300, 1e-300, -1e-320}, factor, &mu));
  mu = 0;
  CHECK(detail::factorWithDamping(2, {1e-320, 0, 0, 2e-320}, factor, &mu));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

// ---------------------------------------------------------------------------------------------
// Sketches

double relativeFrobenius(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t p = 0; p < a.size(); ++p) {
    num += (a[p] - b[p]) * (a[p] - b[p]);
    den += b[p] * b[p];
  }
  return std::sqrt(num / den);
}

TEST(every_sketch_approximates_the_gram_deterministically) {
  for (double density : {0.4, 1.0}) {
    Planted p(800, 6, density, 21);
    const int64_t n = p.c.rows, d = p.c.cols;
    const std::vector<double> D = randomVector(n, 5, 1.0);
    std::vector<double> positive(n);
    for (int64_t i = 0; i < n; ++i) positive[i] = std::fabs(D[i]) + 0.1;
    std::vector<double> exact(d * d, 0.0);
    accumulateGram(p.c, positive.data(), nullptr, n, exact.data());
    symmetrize(d, exact.data());
    for (SketchKind kind : {SketchKind::None, SketchKind::Auto, SketchKind::Leverage, SketchKind::CountSketch,
                            SketchKind::Osnap, SketchKind::Uniform}) {
      SketchOptions o;
      o.kind = kind;
      o.rows = 600;
      o.seed = 7;
      std::vector<double> m(d * d, 0.0), again(d * d, 0.0), threaded(d * d, 0.0), other(d * d, 0.0);
      const SketchReport report = sketchGram(p.c, positive.data(), o, m.data());
      symmetrize(d, m.data());
      CHECK(allFinite(m));
      CHECK(report.negativeRows == 0 && report.negativePart == "none");
      CHECK(report.kind != SketchKind::Auto);
      const double error = relativeFrobenius(m, exact);
      CHECK_MSG(error < (report.kind == SketchKind::None ? 1e-12 : 0.5), sketchName(kind) << " error " << error);
      // The same seed gives the same bits, for every thread count; another seed another sketch.
      sketchGram(p.c, positive.data(), o, again.data());
      symmetrize(d, again.data());
      CHECK_MSG(std::memcmp(m.data(), again.data(), sizeof(double) * d * d) == 0, sketchName(kind));
      for (int threads : {2, 3}) {
        SketchOptions t = o;
        t.threads = threads;
        std::fill(threaded.begin(), threaded.end(), 0.0);
        sketchGram(p.c, positive.data(), t, threaded.data());
        symmetrize(d, threaded.data());
        CHECK_MSG(std::memcmp(m.data(), threaded.data(), sizeof(double) * d * d) == 0,
                  sketchName(kind) << " differs with " << threads << " threads");
      }
      if (report.kind != SketchKind::None) {
        SketchOptions s = o;
        s.seed = 8;
        sketchGram(p.c, positive.data(), s, other.data());
        symmetrize(d, other.data());
        CHECK_MSG(std::memcmp(m.data(), other.data(), sizeof(double) * d * d) != 0, sketchName(kind));
      }
    }
  }
}

TEST(sketch_threads_give_the_same_bits_on_a_problem_large_enough_to_use_them) {
  // ≈ 400k stored entries: the row passes start extra threads (a small pass stays on one).
  Planted p(40000, 16, 0.6, 23);
  const int64_t n = p.c.rows, d = p.c.cols;
  std::vector<double> D = randomVector(n, 6, 1.0);
  for (int64_t i = 0; i < n; i += 7) D[i] = -std::fabs(D[i]);  // a negative part as well
  for (SketchKind kind : {SketchKind::Leverage, SketchKind::CountSketch, SketchKind::Osnap, SketchKind::Uniform}) {
    SketchOptions o;
    o.kind = kind;
    o.rows = 2000;
    o.seed = 11;
    std::vector<double> one(d * d, 0.0), many(d * d, 0.0);
    sketchGram(p.c, D.data(), o, one.data());
    CHECK(allFinite(one));
    for (int threads : {2, 4}) {
      o.threads = threads;
      std::fill(many.begin(), many.end(), 0.0);
      sketchGram(p.c, D.data(), o, many.data());
      CHECK_MSG(std::memcmp(one.data(), many.data(), sizeof(double) * d * d) == 0,
                sketchName(kind) << " differs with " << threads << " threads");
    }
  }
}

TEST(negative_weights_are_exact_or_sketched_and_reported) {
  Planted p(400, 5, 1.0, 3);
  const int64_t n = p.c.rows, d = p.c.cols;
  std::vector<double> D(n, 1.0);
  D[3] = -0.5;
  D[17] = -2.0;
  SketchOptions o;
  o.kind = SketchKind::Leverage;
  o.rows = 200;
  std::vector<double> m(d * d, 0.0);
  SketchReport r = sketchGram(p.c, D.data(), o, m.data());
  CHECK(r.negativeRows == 2 && r.negativePart == "exact");
  CHECK(allFinite(m));
  // Many negative rows and a small k: the negative part is sketched too.
  for (int64_t i = 0; i < n; i += 2) D[i] = -1.0;
  o.rows = 3;
  std::fill(m.begin(), m.end(), 0.0);
  r = sketchGram(p.c, D.data(), o, m.data());
  CHECK(r.negativePart == "sketched");
  CHECK(allFinite(m));
  // All weights zero: a zero sketch, not NaN.
  std::fill(D.begin(), D.end(), 0.0);
  for (SketchKind kind : {SketchKind::Leverage, SketchKind::CountSketch, SketchKind::Osnap, SketchKind::Uniform}) {
    o.kind = kind;
    o.rows = 4;
    std::fill(m.begin(), m.end(), 0.0);
    sketchGram(p.c, D.data(), o, m.data());
    CHECK(std::all_of(m.begin(), m.end(), [](double v) { return v == 0.0; }));
  }
}

TEST(sketch_options_are_checked_with_the_field_name) {
  Planted p(50, 4, 1.0, 2);
  std::vector<double> D(50, 1.0), m(16, 0.0);
  SketchOptions o;
  o.kind = SketchKind::Leverage;
  o.rows = 0;
  CHECK_THROWS(sketchGram(p.c, D.data(), o, m.data()), "sketchRows:");
  o.rows = int64_t{1} << 40;
  CHECK_THROWS(sketchGram(p.c, D.data(), o, m.data()), "sketchRows:");
  o.kind = SketchKind::Osnap;
  o.rows = 3;
  o.osnapNonzeros = 4;
  CHECK_THROWS(sketchGram(p.c, D.data(), o, m.data()), "osnapNonzeros:");
  o.osnapNonzeros = 0;
  CHECK_THROWS(sketchGram(p.c, D.data(), o, m.data()), "osnapNonzeros:");
  o.osnapNonzeros = 1;
  D[7] = std::numeric_limits<double>::infinity();
  CHECK_THROWS(sketchGram(p.c, D.data(), o, m.data()), "D:");
  CHECK_THROWS(sketchRowsForEpsilon(10, 3, 0.0), "epsilon:");
  CHECK_THROWS(sketchRowsForEpsilon(10, 3, std::nan("")), "epsilon:");
  CHECK_THROWS(sketchRowsForEpsilon(10, 0, 0.5), "cols:");
  CHECK(sketchRowsForEpsilon(10, 3, 0.5) == 10);  // capped at n
  CHECK(sketchRowsForEpsilon(0, 3, 0.5) == 1);
}

// ---------------------------------------------------------------------------------------------
// Solvers: every method converges; every stop reason is a result, never an exception or a hang

SolverOptions options(Method method, SketchKind sketch = SketchKind::Auto) {
  SolverOptions o;
  o.method = method;
  o.sketch.kind = sketch;
  o.tol = 1e-10;
  o.maxIterations = 3000;
  o.seed = 3;
  return o;
}

TEST(every_method_and_sketch_reaches_the_planted_minimiser) {
  Planted p(400, 5, 0.8, 17);
  const Objective f = p.objective();
  struct Run {
    Method method;
    SketchKind sketch;
  };
  const Run runs[] = {
      {Method::Newton, SketchKind::Auto},         {Method::NewtonPcg, SketchKind::Auto},
      {Method::NewtonPcg, SketchKind::Leverage},  {Method::ApproxNewton, SketchKind::Leverage},
      {Method::ApproxNewton, SketchKind::CountSketch}, {Method::ApproxNewton, SketchKind::Osnap},
      {Method::ApproxNewton, SketchKind::Uniform}, {Method::ApproxNewton, SketchKind::None},
      {Method::GradientDescent, SketchKind::Auto}, {Method::Lbfgs, SketchKind::Auto},
  };
  for (const Run& run : runs) {
    SolverOptions o = options(run.method, run.sketch);
    o.xStar = p.data.xStar.data();
    int rows = 0;
    const SolveResult r = solve(f, nullptr, o, [&](const TraceRow& row) {
      CHECK(row.iteration == rows++);
      CHECK(std::isfinite(row.loss) && std::isfinite(row.gradNorm) && std::isfinite(row.distance));
    });
    const std::string what = std::string(methodName(run.method)) + "/" + sketchName(run.sketch);
    CHECK_MSG(r.converged, what << ": " << stopReasonName(r.stopReason) << " " << r.message);
    CHECK_MSG(distance(r.x, p.data.xStar) < 1e-5, what << ": ‖x − x*‖ = " << distance(r.x, p.data.xStar));
    CHECK(static_cast<int>(r.trace.size()) == r.iterations + 1 && rows == r.iterations + 1);
    CHECK(r.trace.back().loss == r.loss);
    // Same seed, same bits.
    const SolveResult again = solve(f, nullptr, o, nullptr);
    CHECK_MSG(std::memcmp(r.x.data(), again.x.data(), sizeof(double) * r.x.size()) == 0, what);
  }
}

TEST(stop_reasons_max_iterations_cancelled_and_option_errors) {
  Planted p(200, 4, 1.0, 4);
  const Objective f = p.objective();
  SolverOptions o = options(Method::GradientDescent);
  o.tol = 0;
  o.maxIterations = 2;
  SolveResult r = solve(f, nullptr, o, nullptr);
  CHECK(r.stopReason == StopReason::MaxIterations && !r.converged && r.iterations == 2);
  o.maxIterations = 0;
  r = solve(f, nullptr, o, nullptr);
  CHECK(r.iterations == 0 && r.trace.size() == 1);
  // A raised cancel flag stops at the next check.
  const int32_t flag = 1;
  o.maxIterations = 100;
  o.cancelFlag = &flag;
  for (Method m : {Method::Newton, Method::GradientDescent, Method::Lbfgs}) {
    o.method = m;
    r = solve(f, nullptr, o, nullptr);
    CHECK_MSG(r.stopReason == StopReason::Cancelled, methodName(m) << ": " << stopReasonName(r.stopReason));
  }
  o.cancelFlag = nullptr;
  // Options the core refuses itself (the binding and TypeScript check them first).
  o.maxIterations = -1;
  CHECK_THROWS(solve(f, nullptr, o, nullptr), "maxIter:");
  o.maxIterations = 10;
  o.tol = std::nan("");
  CHECK_THROWS(solve(f, nullptr, o, nullptr), "tol:");
  o.tol = 0;
  o.atol = -1;
  CHECK_THROWS(solve(f, nullptr, o, nullptr), "tol:");
  // A given start point is used as given.
  o.atol = 0;
  o.maxIterations = 0;
  const std::vector<double> x0 = {0.1, -0.2, 0.3, 0.05};
  r = solve(f, x0.data(), o, nullptr);
  CHECK(r.x == x0);
  // The default start is small, seeded and never zero.
  const std::vector<double> a = defaultStart(50, 1), b = defaultStart(50, 1), c = defaultStart(50, 2);
  CHECK(a == b && a != c);
  CHECK(std::any_of(a.begin(), a.end(), [](double v) { return v != 0; }));
  CHECK(std::sqrt(std::inner_product(a.begin(), a.end(), a.begin(), 0.0)) < 0.3);
}

TEST(overflow_at_the_start_is_a_stop_reason_for_every_method) {
  Planted p(300, 4, 1.0, 5, Unit::Exp, ModelKind::SoftmaxUnit, 0.0, 1.0);
  ModelSpec huge = p.spec;
  huge.scale.scalar = 1e6;
  const Objective f(p.c, huge);
  for (int m = 0; m < 5; ++m) {
    const SolveResult r = solve(f, nullptr, options(static_cast<Method>(m)), nullptr);
    CHECK_MSG(r.stopReason == StopReason::Overflow, methodName(static_cast<Method>(m)) << ": " << stopReasonName(r.stopReason));
    CHECK(!r.converged && !std::isnan(r.loss) && !std::isnan(r.gradNorm));
    CHECK(r.message.find("overflow") != std::string::npos);
  }
}

TEST(huge_entries_of_c_end_the_solve_with_a_stop_reason_not_a_hang) {
  // Finite data whose Gram and gradient exceed the double range: C ~ 1e200.
  const int64_t n = 6, d = 3;
  std::vector<double> data = randomVector(n * d, 12, 1e200), b(n, 0.3);
  MatrixView c;
  c.rows = n;
  c.cols = d;
  c.dense = data.data();
  CHECK(validate(c, 0, 0, n * d).empty());
  ModelSpec spec;
  spec.target = b.data();
  const Objective f(c, spec);
  const auto started = std::chrono::steady_clock::now();
  // From a start this small z = Cx is moderate, so the softmax is not saturated, and the gradient's
  // norm (≈ 1e200) and the Gram Cᵀ diag(D) C (≈ 1e400) exceed the double range. Before the fixes this
  // "converged" at once (‖∇L‖ = Inf passed Inf ≤ tol·Inf), and damping an infinite Hessian never ended.
  const std::vector<double> tiny = {1e-201, -2e-201, 0.5e-201};
  for (int m = 0; m < 5; ++m) {
    SolverOptions o = options(static_cast<Method>(m));
    o.maxIterations = 50;
    const SolveResult r = solve(f, tiny.data(), o, nullptr);
    // Newton's methods stop on the Hessian's overflow; gd and lbfgs take no step that decreases L.
    const bool newton = m <= static_cast<int>(Method::NewtonPcg);
    CHECK_MSG(!r.converged && (r.stopReason == StopReason::Overflow ||
                               (!newton && r.stopReason == StopReason::LineSearchFailed)),
              methodName(static_cast<Method>(m)) << ": " << stopReasonName(r.stopReason) << ", ‖∇L‖ = " << r.gradNorm);
    CHECK(!r.message.empty());
    CHECK(!std::isnan(r.loss) && !std::isnan(r.gradNorm) && allFinite(r.x));
    // From the default start the softmax saturates exactly (z ≈ 1e199): the gradient is exactly 0,
    // a stationary point in floating point. Whatever the verdict, no NaN and no hang.
    const SolveResult saturated = solve(f, nullptr, o, nullptr);
    CHECK(!std::isnan(saturated.loss) && !std::isnan(saturated.gradNorm) && allFinite(saturated.x));
  }
  // A finite gradient whose entries exceed 1e154 has a finite norm (the naive one overflowed).
  CHECK_NEAR(detail::norm2({3e200, 4e200}) / 1e200, 5.0, 1e-12);
  CHECK(detail::norm2({0.0, 0.0}) == 0.0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
}

TEST(line_search_refuses_an_ascent_direction) {
  Planted p(100, 3, 1.0, 6);
  const Objective f = p.objective();
  Point at, next;
  const std::vector<double> x = defaultStart(3, 1);
  CHECK(f.evaluate(x.data(), at).empty());
  std::vector<double> ascent = at.gradient, cp;
  for (auto& v : ascent) v = -v;  // x − t·p with p = −∇L moves uphill
  const double slope = detail::dot(at.gradient, at.gradient);
  const detail::LineSearchOutcome refused = detail::lineSearch(f, at, ascent, slope, 1.0, Order::Gradient, next, cp);
  CHECK(!refused.accepted && refused.backtracks == 50);
  const detail::LineSearchOutcome accepted = detail::lineSearch(f, at, at.gradient, slope, 1.0, Order::Gradient, next, cp);
  CHECK(accepted.accepted && next.loss < at.loss);
}

TEST(planted_problems_are_valid_and_deterministic) {
  Planted a(123, 7, 0.3, 9), b(123, 7, 0.3, 9), c(123, 7, 0.3, 10);
  CHECK(validate(a.c, static_cast<int64_t>(a.data.indices.size()), static_cast<int64_t>(a.data.values.size()), 0).empty());
  CHECK(a.data.values == b.data.values && a.data.target == b.data.target && a.data.xStar == b.data.xStar);
  CHECK(a.data.values != c.data.values);
  CHECK_NEAR(std::sqrt(std::inner_product(a.data.xStar.begin(), a.data.xStar.end(), a.data.xStar.begin(), 0.0)), 1.0, 1e-12);
  Rng rng(4);
  for (int k = 0; k < 10000; ++k) {
    CHECK(rng.below(7) < 7);
    const double u = rng.uniform();
    CHECK(u >= 0 && u < 1);
    CHECK(rng.uniformPositive() > 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Every stored fuzz input (seed corpus and the regressions from crashes found) replayed under the
// sanitizers.

std::vector<uint8_t> readFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(fuzz_inputs_replay_clean) {
  namespace fs = std::filesystem;
  const std::pair<const char*, int (*)(const uint8_t*, size_t)> targets[] = {
      {"csr", fuzz::csrTarget}, {"model", fuzz::modelTarget}, {"solve", fuzz::solveTarget}};
  int replayed = 0, regressions = 0;
  for (const auto& [name, target] : targets) {
    for (const char* kind : {"corpus", "regressions"}) {
      const fs::path dir = fs::path(fuzzDirectory) / kind / name;
      if (!fs::is_directory(dir)) continue;
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(dir))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        const std::vector<uint8_t> bytes = readFile(file);
        target(bytes.data(), bytes.size());
        ++replayed;
        if (std::strcmp(kind, "regressions") == 0) ++regressions;
      }
    }
    // Arbitrary small inputs too: every one- and two-byte input.
    for (int a = 0; a < 256; ++a) {
      const uint8_t one[1] = {static_cast<uint8_t>(a)};
      target(one, 1);
      for (int b = 0; b < 256; b += 15) {
        const uint8_t two[2] = {static_cast<uint8_t>(a), static_cast<uint8_t>(b)};
        target(two, 2);
      }
    }
    target(nullptr, 0);
  }
  std::printf("# replayed %d stored fuzz inputs (%d regressions) from %s\n", replayed, regressions, fuzzDirectory.c_str());
  CHECK_MSG(replayed > 0, "no fuzz inputs found under " << fuzzDirectory << " (run from the checkout, or pass the folder)");
}

}  // namespace

// `--selfcheck asan|ubsan` commits one heap overflow or one signed overflow on purpose: the test
// that runs this driver checks that the sanitizer reports it, i.e. that the build is instrumented.
int selfCheck(const std::string& which, int argc) {
  volatile int offset = argc;  // 1, but not known to the compiler: the faults below cannot be folded away
  if (which == "asan") {
    std::vector<double> v(4);
    std::printf("%g\n", v.data()[3 + offset]);  // one past the end
  } else if (which == "ubsan") {
    volatile int big = INT32_MAX;
    std::printf("%d\n", big + offset);
  }
  return 0;
}

TEST(dense_normal_rows_and_row_block_syrk_match_plain_loops) {
  // normalRows: t = C x and out += Σ w_i t_i C_i, with a column count that leaves a tail past the
  // 32 dot-product lanes and the 8-entry update lines, on a row range that ends before the last row.
  const int64_t n = 40, d = 77;
  const std::vector<double> a = randomVector(n * d, 21), x = randomVector(d, 22), w = randomVector(n, 23);
  MatrixView c;
  c.rows = n;
  c.cols = d;
  c.dense = a.data();
  std::vector<double> t(n, -7.0), out(d, 0.5);
  c.normalRows(x.data(), w.data(), t.data(), out.data(), 3, 37);
  std::vector<double> want(d, 0.5);
  for (int64_t i = 0; i < n; ++i) {
    if (i < 3 || i >= 37) {
      CHECK(t[i] == -7.0);  // rows outside the range are not touched
      continue;
    }
    double dot = 0.0;
    for (int64_t j = 0; j < d; ++j) dot += a[i * d + j] * x[j];
    CHECK_NEAR(t[i], dot, 1e-12 * (1.0 + std::fabs(dot)));
    for (int64_t j = 0; j < d; ++j) want[j] += w[i] * dot * a[i * d + j];
  }
  for (int64_t j = 0; j < d; ++j) CHECK_NEAR(out[j], want[j], 1e-11 * (1.0 + std::fabs(want[j])));

  // accumulateSyrk with enough rows for row blocks: M += α AᵀA on top of what M held, the same bits
  // on one thread and on three.
  const int64_t k = 3 * kGramBlockRows + 5, e = 19;
  CHECK(syrkBlocks(k, e) >= 2);
  const std::vector<double> rows = randomVector(k * e, 24);
  std::vector<double> one(e * e, 1.0), three(e * e, 1.0);
  accumulateSyrk(e, k, rows.data(), -0.5, one.data(), Parallel{1, nullptr});
  accumulateSyrk(e, k, rows.data(), -0.5, three.data(), Parallel{3, nullptr});
  for (int64_t q = 0; q < e; ++q)
    for (int64_t p = 0; p <= q; ++p) {
      double naive = 0.0;
      for (int64_t r = 0; r < k; ++r) naive += rows[r * e + p] * rows[r * e + q];
      const double expected = 1.0 - 0.5 * naive;
      CHECK_NEAR(one[q * e + p], expected, 1e-10 * (1.0 + std::fabs(expected)));
      CHECK(std::memcmp(&one[q * e + p], &three[q * e + p], sizeof(double)) == 0);
    }
}

TEST(sparse_exact_gram_scatters_short_rows_and_stages_long_ones_the_same_bits_on_any_threads) {
  // Rows of 1 … d entries about the staging threshold, signed weights: with many rows the scatter
  // is cut into row blocks that each stage their own long rows; with few, column ranges then
  // column panels. Both against a naive Σ w_i c_i c_iᵀ, and the same bits on one thread and three.
  const int64_t d = 64, threshold = denseRowThreshold(d);
  CHECK(threshold > 1 && threshold < d);
  for (const int64_t n : {int64_t{60}, int64_t{30000}}) {
    Rng rng(40 + static_cast<uint64_t>(n));
    std::vector<int32_t> indptr{0}, indices;
    std::vector<double> values;
    for (int64_t i = 0; i < n; ++i) {
      // A third of the rows long (threshold … d entries), the rest short, some empty.
      const int64_t r = i % 3 == 0 ? threshold + static_cast<int64_t>(rng.uniform() * static_cast<double>(d - threshold))
                                   : static_cast<int64_t>(rng.uniform() * static_cast<double>(threshold));
      std::vector<int32_t> cols(d);
      for (int64_t j = 0; j < d; ++j) cols[j] = static_cast<int32_t>(j);
      for (int64_t j = 0; j < r; ++j) std::swap(cols[j], cols[j + static_cast<int64_t>(rng.uniform() * static_cast<double>(d - j))]);
      std::sort(cols.begin(), cols.begin() + r);
      for (int64_t j = 0; j < r; ++j) {
        indices.push_back(cols[j]);
        values.push_back(rng.normal());
      }
      indptr.push_back(static_cast<int32_t>(indices.size()));
    }
    MatrixView c;
    c.rows = n;
    c.cols = d;
    c.indptr = indptr.data();
    c.indices = indices.data();
    c.values = values.data();
    const std::vector<double> w = randomVector(n, 41);
    const std::vector<double> dense = toDense(c);
    std::vector<double> one(d * d, 0.25), three(d * d, 0.25);
    accumulateGramParallel(c, w.data(), one.data(), Parallel{1, nullptr});
    accumulateGramParallel(c, w.data(), three.data(), Parallel{3, nullptr});
    // Buffers kept across calls (a solve's) give the same bits on every call: the reused private
    // matrices are zeroed, not added to.
    GramScratch kept;
    for (int call = 0; call < 2; ++call) {
      std::vector<double> again(d * d, 0.25);
      accumulateGramParallel(c, w.data(), again.data(), Parallel{2, nullptr}, &kept);
      CHECK(std::memcmp(again.data(), one.data(), sizeof(double) * d * d) == 0);
    }
    for (int64_t q = 0; q < d; ++q)
      for (int64_t p = 0; p <= q; ++p) {
        double naive = 0.25, size = 0.25;
        for (int64_t i = 0; i < n; ++i) {
          naive += w[i] * dense[i * d + p] * dense[i * d + q];
          size += std::fabs(w[i] * dense[i * d + p] * dense[i * d + q]);
        }
        CHECK_NEAR(one[q * d + p], naive, 1e-12 * size);
        CHECK(std::memcmp(&one[q * d + p], &three[q * d + p], sizeof(double)) == 0);
      }
  }
}

int main(int argc, char** argv) {
  std::string filter;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--selfcheck") == 0 && a + 1 < argc) return selfCheck(argv[a + 1], argc - 2);
    if (std::strcmp(argv[a], "--filter") == 0 && a + 1 < argc) filter = argv[++a];
    else fuzzDirectory = argv[a];
  }
  int passed = 0, failed = 0;
  for (const Registered& t : registry()) {
    if (!filter.empty() && std::string(t.name).find(filter) == std::string::npos) continue;
    const auto started = std::chrono::steady_clock::now();
    try {
      t.run();
      ++passed;
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      std::printf("ok %s (%.0f ms)\n", t.name, ms);
    } catch (const std::exception& e) {
      ++failed;
      std::printf("not ok %s: %s\n", t.name, e.what());
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
