// The bench-only addon (build/Release/softnewton_bench.node, built by bench/setup.sh): the whole
// shipped API plus benchKernel, so that bench/ times its kernels on problems made by this same
// addon (a NativeProblem belongs to the addon that made it). Never part of the package.
#include "bench/bench_binding.h"
#include "binding/addon.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports = softnewton::binding::Addon::Init(env, exports);
  exports.Set("benchKernel", Napi::Function::New(env, softnewton::binding::BenchKernel, "benchKernel"));
  return exports;
}
}  // namespace

NODE_API_MODULE(softnewton_bench, Init)
