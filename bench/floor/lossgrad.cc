// The floor for issue 10's loss + gradient target: plain C loops over the same CSR shape, two
// OpenMP threads, libm's exp, nothing clever. It computes exactly what Problem.lossAndGradient
// computes for the softmax-unit model with the identity unit, scalar scale a, no bias, w = 0:
//   z = Cx, s = softmax(z), r = a s − b, L = ½‖r‖², g = a r, ∇L = Cᵀ(s∘(g − sᵀg)).
// Built and run by bench/targets.ts: lossgrad <dir> <n> <d> <a> <reps> reads dir/{indptr,indices,
// values,b,x}.bin and prints the median seconds of `reps` evaluations (and the loss, as a check).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

template <class T>
std::vector<T> load(const std::string& path, size_t count) {
  std::vector<T> v(count);
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f || std::fread(v.data(), sizeof(T), count, f) != count) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::fclose(f);
  return v;
}

int main(int argc, char** argv) {
  if (argc != 6) return 2;
  const std::string dir = argv[1];
  const long n = std::atol(argv[2]), d = std::atol(argv[3]);
  const double a = std::atof(argv[4]);
  const int reps = std::atoi(argv[5]);
  const auto indptr = load<int>(dir + "/indptr.bin", n + 1);
  const auto indices = load<int>(dir + "/indices.bin", indptr[n]);
  const auto values = load<double>(dir + "/values.bin", indptr[n]);
  const auto b = load<double>(dir + "/b.bin", n);
  const auto x = load<double>(dir + "/x.bin", d);
  std::vector<double> z(n), s(n), r(n), grad(d);
  const int threads = omp_get_max_threads();
  std::vector<double> partial(static_cast<size_t>(threads) * d);
  std::vector<double> times;
  double loss = 0;
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    double m = -INFINITY;
#pragma omp parallel for reduction(max : m)
    for (long i = 0; i < n; ++i) {
      double acc = 0;
      for (int p = indptr[i]; p < indptr[i + 1]; ++p) acc += values[p] * x[indices[p]];
      z[i] = acc;
      m = std::max(m, acc);
    }
    double sum = 0;
#pragma omp parallel for reduction(+ : sum)
    for (long i = 0; i < n; ++i) sum += (s[i] = std::exp(z[i] - m));
    double l = 0, alpha = 0;
#pragma omp parallel for reduction(+ : l, alpha)
    for (long i = 0; i < n; ++i) {
      s[i] /= sum;
      const double res = a * s[i] - b[i];
      l += 0.5 * res * res;
      r[i] = a * res;  // g
      alpha += s[i] * r[i];
    }
#pragma omp parallel for
    for (long i = 0; i < n; ++i) r[i] = s[i] * (r[i] - alpha);
#pragma omp parallel
    {
      double* out = partial.data() + static_cast<size_t>(omp_get_thread_num()) * d;
      std::fill(out, out + d, 0.0);
#pragma omp for
      for (long i = 0; i < n; ++i)
        for (int p = indptr[i]; p < indptr[i + 1]; ++p) out[indices[p]] += values[p] * r[i];
    }
    for (long j = 0; j < d; ++j) {
      double g = 0;
      for (int t = 0; t < threads; ++t) g += partial[static_cast<size_t>(t) * d + j];
      grad[j] = g;
    }
    loss = l;
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  std::printf("{\"seconds\": %.9g, \"loss\": %.17g, \"threads\": %d}\n", times[times.size() / 2], loss, threads);
  return 0;
}
