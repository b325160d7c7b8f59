// The kernels bench/ measures, one call each (issue 6). Two kinds of entry:
//   - "time…" ops run a kernel `reps` times on data made here and return the seconds of each run,
//     timed natively: the machine floor (dgemm, dsyrk, dpotrf, a CSR pass) without JavaScript's
//     call overhead in the figure;
//   - the other ops run a kernel once on caller-supplied arrays, for benchmark.js to time.
// Every op re-checks the sizes it relies on: a wrong call is a TypeError, never a bad read.
#include "bench/bench_binding.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "binding/convert.h"
#include "binding/problem_handle.h"
#include "core/linalg.h"
#include "core/random.h"
#include "core/sketch/sketch.h"
#include "bench/strassen.h"

namespace softnewton::binding {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<double> randomMatrix(int64_t count, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> a(static_cast<size_t>(count));
  for (auto& v : a) v = rng.normal();
  return a;
}

Napi::Float64Array toArray(Napi::Env env, const std::vector<double>& v) {
  auto out = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), out.Data());
  return out;
}

const Objective& problemOf(Napi::Env env, const Napi::Object& o) {
  return unwrapProblem(env, requireField(o, "problem"), "problem").objective(env);
}

// time: {kernel, n, k, reps, cutoff} → seconds of each run.
//   dgemm:    C = A B, n × n by n × n (2n³ flops)
//   strassen: the same through strassenMultiply with the given cutoff; also returns the largest
//             difference from dgemm's C relative to max|C|
//   dsyrk:    M += Aᵀ A, A k × n row-major (k n² flops) — the shape of the sketch's Gram
//   dpotrf:   Cholesky of an n × n SPD matrix (n³/3 flops)
Napi::Value timeBlas(Napi::Env env, const Napi::Object& o) {
  const std::string kernel = requireString(o, "kernel");
  const int64_t n = requireCount(o, "n", 1, 20000);
  const int64_t reps = requireCount(o, "reps", 1, 1000);
  std::vector<double> seconds;
  double error = 0.0;
  if (kernel == "dgemm" || kernel == "strassen") {
    const int64_t cutoff = o.Get("cutoff").IsUndefined() ? 512 : requireCount(o, "cutoff", 2, 20000);
    const std::vector<double> a = randomMatrix(n * n, 1), b = randomMatrix(n * n, 2);
    std::vector<double> c(static_cast<size_t>(n * n));
    for (int64_t r = 0; r < reps; ++r) {
      const double t0 = now();
      if (kernel == "dgemm")
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n), static_cast<int>(n),
                    static_cast<int>(n), 1.0, a.data(), static_cast<int>(n), b.data(), static_cast<int>(n), 0.0,
                    c.data(), static_cast<int>(n));
      else
        strassenMultiply(n, n, n, a.data(), n, b.data(), n, c.data(), n, cutoff);
      seconds.push_back(now() - t0);
    }
    if (kernel == "strassen") {
      std::vector<double> ref(static_cast<size_t>(n * n));
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n), static_cast<int>(n),
                  static_cast<int>(n), 1.0, a.data(), static_cast<int>(n), b.data(), static_cast<int>(n), 0.0,
                  ref.data(), static_cast<int>(n));
      double scale = 0.0;
      for (size_t i = 0; i < ref.size(); ++i) {
        scale = std::max(scale, std::fabs(ref[i]));
        error = std::max(error, std::fabs(ref[i] - c[i]));
      }
      error = scale > 0 ? error / scale : error;
    }
  } else if (kernel == "dsyrk") {
    const int64_t k = requireCount(o, "k", 1, int64_t{1} << 30);
    const std::vector<double> a = randomMatrix(k * n, 3);
    std::vector<double> m(static_cast<size_t>(n * n), 0.0);
    for (int64_t r = 0; r < reps; ++r) {
      const double t0 = now();
      accumulateSyrk(n, k, a.data(), 1.0, m.data());
      seconds.push_back(now() - t0);
    }
  } else if (kernel == "dpotrf") {
    // A = GᵀG/n + I: well conditioned, positive definite.
    const std::vector<double> g = randomMatrix(2 * n * n, 4);
    std::vector<double> spd(static_cast<size_t>(n * n), 0.0), work;
    accumulateSyrk(n, 2 * n, g.data(), 1.0 / static_cast<double>(n), spd.data());
    addDiagonal(n, 1.0, spd.data());
    for (int64_t r = 0; r < reps; ++r) {
      work = spd;
      const double t0 = now();
      if (!cholesky(n, work.data())) fail(env, "dpotrf: the test matrix was not positive definite");
      seconds.push_back(now() - t0);
    }
  } else {
    fail(env, "kernel: expected dgemm, strassen, dsyrk or dpotrf, got '" + kernel + "'");
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("seconds", toArray(env, seconds));
  out.Set("relativeError", Napi::Number::New(env, error));
  return out;
}

// timeSparse: {problem, pass: 'multiply' | 'multiplyTransposed', reps} → seconds of each pass.
Napi::Value timeSparse(Napi::Env env, const Napi::Object& o) {
  const Objective& f = problemOf(env, o);
  const MatrixView& c = f.matrix();
  const std::string pass = requireString(o, "pass");
  const int64_t reps = requireCount(o, "reps", 1, 1000);
  if (pass != "multiply" && pass != "multiplyTransposed")
    fail(env, "pass: expected multiply or multiplyTransposed, got '" + pass + "'");
  const std::vector<double> x = randomMatrix(c.cols, 5), r = randomMatrix(c.rows, 6);
  std::vector<double> z(static_cast<size_t>(c.rows)), g(static_cast<size_t>(c.cols));
  std::vector<double> seconds;
  for (int64_t rep = 0; rep < reps; ++rep) {
    const double t0 = now();
    if (pass == "multiply") c.multiply(x.data(), z.data());
    else c.multiplyTransposed(r.data(), g.data());
    seconds.push_back(now() - t0);
  }
  return toArray(env, seconds);
}

}  // namespace

Napi::Value BenchKernel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject())
    fail(env, "benchKernel: expected (op: string, options: object)");
  const std::string op = info[0].As<Napi::String>().Utf8Value();
  const Napi::Object o = info[1].As<Napi::Object>();
  if (op == "time") return timeBlas(env, o);
  if (op == "timeSparse") return timeSparse(env, o);
  if (op == "multiply" || op == "multiplyTransposed") {
    // {problem, input, output}: z = C x (input d, output n) or g = Cᵀ r (input n, output d).
    const MatrixView& c = problemOf(env, o).matrix();
    const bool forward = op == "multiply";
    auto in = requireFloat64Array(env, requireField(o, "input"), "input", forward ? c.cols : c.rows);
    auto out = requireFloat64Array(env, requireField(o, "output"), "output", forward ? c.rows : c.cols);
    if (forward) c.multiply(in.Data(), out.Data());
    else c.multiplyTransposed(in.Data(), out.Data());
    return env.Undefined();
  }
  if (op == "syrk") {
    // {d, k, a (k × d row-major), m (d × d)}: m += aᵀ a.
    const int64_t d = requireCount(o, "d", 1, 20000), k = requireCount(o, "k", 1, int64_t{1} << 30);
    auto a = requireFloat64Array(env, requireField(o, "a"), "a", k * d);
    auto m = requireFloat64Array(env, requireField(o, "m"), "m", d * d);
    accumulateSyrk(d, k, a.Data(), 1.0, m.Data());
    return env.Undefined();
  }
  if (op == "cholesky") {
    // {d, spd, work}: work = spd, then its Cholesky in place. Returns whether it succeeded.
    const int64_t d = requireCount(o, "d", 1, 20000);
    auto spd = requireFloat64Array(env, requireField(o, "spd"), "spd", d * d);
    auto work = requireFloat64Array(env, requireField(o, "work"), "work", d * d);
    std::memcpy(work.Data(), spd.Data(), sizeof(double) * d * d);
    return Napi::Boolean::New(env, cholesky(d, work.Data()));
  }
  if (op == "sketch") {
    // {problem, D (n), kind, rows, seed, threads, m (d × d)}: m = the sketch of Cᵀ diag(D) C, on
    // the given D (no evaluation of the model: the sketch alone is timed).
    const Objective& f = problemOf(env, o);
    const MatrixView& c = f.matrix();
    auto D = requireFloat64Array(env, requireField(o, "D"), "D", c.rows);
    auto m = requireFloat64Array(env, requireField(o, "m"), "m", c.cols * c.cols);
    SketchOptions s;
    const std::string kind = requireString(o, "kind");
    if (!parseSketchKind(kind, &s.kind)) fail(env, "kind: unknown sketch '" + kind + "'");
    s.rows = requireCount(o, "rows", 1, INT32_MAX);
    s.seed = o.Get("seed").IsUndefined() ? 0 : requireSeed(o, "seed");
    s.threads = o.Get("threads").IsUndefined() ? 1 : static_cast<int>(requireCount(o, "threads", 1, kMaxThreads));
    std::fill(m.Data(), m.Data() + c.cols * c.cols, 0.0);
    try {
      const SketchReport report = sketchGram(c, D.Data(), s, m.Data());
      return Napi::String::New(env, sketchName(report.kind));
    } catch (const std::invalid_argument& e) {
      fail(env, e.what());
    }
  }
  if (op == "gemm" || op == "strassen") {
    // {n, a, b, c, cutoff}: c = a b, all n × n row-major.
    const int64_t n = requireCount(o, "n", 1, 20000);
    auto a = requireFloat64Array(env, requireField(o, "a"), "a", n * n);
    auto b = requireFloat64Array(env, requireField(o, "b"), "b", n * n);
    auto c = requireFloat64Array(env, requireField(o, "c"), "c", n * n);
    const int64_t cutoff = o.Get("cutoff").IsUndefined() ? 512 : requireCount(o, "cutoff", 2, 20000);
    if (op == "gemm") strassenMultiply(n, n, n, a.Data(), n, b.Data(), n, c.Data(), n, n + 1);
    else strassenMultiply(n, n, n, a.Data(), n, b.Data(), n, c.Data(), n, cutoff);
    return env.Undefined();
  }
  fail(env, "op: unknown benchKernel op '" + op + "'");
}

}  // namespace softnewton::binding
