// Each term below is an allocation of the solver, named by where it is made. Sizes are in 8-byte
// words (int64 indices count as one word). Temporaries that live at different times are combined
// with max, those that live together with +, as the code allocates them: the estimate is the peak,
// not the sum of everything ever allocated.
#include "core/footprint.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

#include "core/linalg.h"
#include "core/sketch/kinds.h"

namespace softnewton {

namespace {

constexpr double kWord = 8.0;
// leverage.cc: rows per dgemm scoring block (per segment, per thread).
constexpr int64_t kScoreBlock = 256;
// loop.cc Run: one TraceRow per iteration (≈ 15 words and a short string), and its JavaScript copy.
constexpr double kTraceWordsPerIteration = 64.0;

// accumulateGram(c, weights, rows, count): the two blocks, sized to the rows present.
double gramBlocks(int64_t count, int64_t d) {
  return 2.0 * static_cast<double>(std::max<int64_t>(1, std::min(kGramBlockRows, count))) * static_cast<double>(d);
}

// OpenBLAS's packing buffer a dsyrk touches on a thread of ours (core/linalg.cc row blocks).
constexpr double kBlasPackingWords = 2.0 * (1 << 20) / 8.0;

// countsketch.cc embedRows(k, s): dense rows with k·d ≥ kGatherOutputEntries are gathered by
// bucket, with s·n (row, sign) entries and k + 1 bucket starts. Otherwise block 0 goes into `out`; later blocks into a k × d scratch
// each, one per thread that takes a block (at most `threads`, and at most what 256 MB or the size
// of C affords).
double embedScratch(const FootprintInput& in, int64_t k, int s) {
  if (in.dense && static_cast<double>(k) * static_cast<double>(in.cols) >= sketch::kGatherOutputEntries)
    return 2.0 * s * static_cast<double>(in.rows) + 2.0 * static_cast<double>(k);
  const double outSize = static_cast<double>(k) * static_cast<double>(in.cols);
  const double blockNnz = std::max(double(1 << 20), std::ceil(8.0 * outSize / s));
  const double blocks = std::max(1.0, std::ceil(static_cast<double>(in.nnz) / blockNnz));
  if (blocks <= 1.0) return 0.0;
  const double budget = std::max(256.0 * (1 << 20), 12.0 * static_cast<double>(in.nnz));
  const double byMemory = std::max(1.0, std::floor(budget / (kWord * outSize)));
  const double parts = std::min({static_cast<double>(std::max(1, in.threads)), blocks - 1.0, byMemory});
  return std::max(1.0, parts) * outSize;
}

// leverage.cc accumulateLeverage: the support list throughout; scoreMap's LQ workspace, then the
// score pass, then the sample and its Gram, with the d × t map alive from the end of scoreMap on.
double leverageWords(const FootprintInput& in, int64_t k) {
  const double n = static_cast<double>(in.rows), d = static_cast<double>(in.cols);
  const double me = std::max(4.0 * d, 2.0 * d + 20.0);
  const double t = std::min(d, std::ceil(4.0 * std::log(std::max(2.0, n))) + 4.0);
  const double map = d * t;
  // scoreMap: b ((me + d) × d), the embedding's scratch, colScale, tau, dgelqf's work (≈ 64 d), X and map.
  const double lq = (me + d) * d + embedScratch(in, static_cast<int64_t>(me), 1) + 2 * d + 64 * d + 2 * map;
  const double threads = std::max(1, in.threads);
  const double scoring = map + n + threads * (kScoreBlock * (d + t) + t);
  const double unique = std::min(static_cast<double>(k), n);
  const double sampling = map + 3 * n + static_cast<double>(k) + 4 * unique + gramBlocks(static_cast<int64_t>(unique), in.cols);
  return n + std::max({lq, scoring, sampling});
}

// uniform.cc accumulateUniform: support, the k draws, the merged rows, counts and weights, the Gram.
double uniformWords(const FootprintInput& in, int64_t k) {
  const double unique = std::min(static_cast<double>(k), static_cast<double>(in.rows));
  return static_cast<double>(in.rows) + static_cast<double>(k) + 3 * unique + gramBlocks(static_cast<int64_t>(unique), in.cols);
}

// countsketch.cc accumulateCountSketch: the k × d embedding Π D^{1/2} C, with embedRows' scratch
// and then accumulateSyrk's. Summed, not the larger of the two: the allocator may keep the first
// scratch mapped while the second is in use (RSS measured so, test/memory.test.ts).
// With row blocks, every thread that runs one packs its panels in its own OpenBLAS buffer: about
// 2 MiB each beyond the first thread's (RSS 1.4 MB above the count without them, k = 2·10⁴, d = 500).
double countSketchWords(const FootprintInput& in, int64_t k, int s) {
  const int64_t blocks = syrkBlocks(k, in.cols);
  const double packing = blocks >= 2 ? static_cast<double>(std::min<int64_t>(blocks, std::max(1, in.threads)) - 1) * kBlasPackingWords : 0.0;
  return static_cast<double>(k) * static_cast<double>(in.cols) + embedScratch(in, k, s) + syrkScratchWords(k, in.cols) + packing;
}

}  // namespace

Footprint solveFootprint(const FootprintInput& in) {
  const double n = static_cast<double>(in.rows), d = static_cast<double>(in.cols);
  std::vector<std::pair<std::string, double>> words;
  // objective.h Point × 2 (at and next, or trial and accepted): z and the RowTerms vectors the
  // method's order fills (model.cc RowTerms::resize: u0 and grad for a gradient, also delta, D and u1
  // for the Hessian), the line search's C·p (loop.cc; gd's own, lbfgs has none), x, ∇L, CᵀU, the
  // start and the result's x.
  const bool firstOrder = in.method == Method::GradientDescent || in.method == Method::Lbfgs;
  const double perPoint = firstOrder ? 3 : 6;
  const double lineSearch = in.method == Method::Lbfgs ? 0 : 1;
  words.push_back({"per-row vectors (two points, line search)", (2 * perPoint + lineSearch) * n + 10 * d});
  words.push_back({"result and trace", (in.maxIterations + 1) * kTraceWordsPerIteration + d});
  if (in.method == Method::Lbfgs) {
    // liblbfgs: s and y (m each), x, g, their previous values and the direction.
    words.push_back({"L-BFGS history", (2.0 * in.lbfgsMemory + 6) * d});
  } else if (in.method != Method::GradientDescent) {
    // newton.cc solveNewton: h and the Cholesky factor (factorWithDamping copies h into it).
    words.push_back({"d × d Hessian approximation and its Cholesky factor", 2 * d * d});
    // newton.cc: p, and for newton-pcg the Hessian–vector products' n-vector and CG's four d-vectors.
    words.push_back({"direction and CG vectors", in.method == Method::NewtonPcg ? n + 5 * d : d});
    SketchKind kind = in.method == Method::Newton ? SketchKind::None : in.sketch;
    // newton.cc: the sketch's size and `auto` follow its role (a preconditioner for newton-pcg).
    const bool preconditioner = in.method == Method::NewtonPcg;
    int64_t k = in.sketchRows > 0 ? in.sketchRows
                                  : preconditioner ? preconditionerRows(in.rows, in.cols, static_cast<double>(in.nnz)) : sketchRowsForEpsilon(in.rows, in.cols, in.eps0);
    k = std::max<int64_t>(k, in.osnapNonzeros);  // newton.cc: OSNAP needs at least s buckets
    const double exact = exactGramScratchWords(in.rows, in.cols, in.nnz, in.dense, in.threads);
    // sketch.cc sketchGram: the D⁺ weights (n) beside every sketch but the exact one.
    const double leverage = n + leverageWords(in, k);
    if (kind == SketchKind::Auto && in.matrix)
      kind = preconditioner ? resolveAutoPreconditioner(*in.matrix, k) : resolveAuto(*in.matrix, k);
    switch (kind) {
      case SketchKind::None: words.push_back({"exact Gram: staging blocks and private d × d sums", exact}); break;
      case SketchKind::Leverage: words.push_back({"leverage sketch (embedding, scores, samples)", leverage}); break;
      case SketchKind::CountSketch:
      case SketchKind::Osnap:
        words.push_back({"k × d sketch buffer (k = " + std::to_string(k) + ")",
                         n + countSketchWords(in, k, kind == SketchKind::Osnap ? in.osnapNonzeros : 1)});
        break;
      case SketchKind::Uniform: words.push_back({"uniform samples", n + uniformWords(in, k)}); break;
      case SketchKind::Auto:
        words.push_back({"sketch (auto: exact or leverage, whichever is larger)", std::max(exact, leverage)});
        break;
    }
  }
  Footprint out;
  for (auto& [name, w] : words) {
    out.parts.push_back({name, w * kWord});
    out.bytes += w * kWord;
  }
  std::sort(out.parts.begin(), out.parts.end(),
            [](const FootprintPart& a, const FootprintPart& b) { return a.bytes > b.bytes; });
  return out;
}

double hessianFootprintBytes(int64_t rows, int64_t cols) {
  const double n = static_cast<double>(rows), d = static_cast<double>(cols);
  // Problem.hessian runs on the default threads, at most the cores; dense rows take the most.
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return kWord * (d * d + 8 * n + exactGramScratchWords(rows, cols, rows * cols, true, threads));
}

}  // namespace softnewton
