#pragma once
#include <napi.h>

namespace softnewton::binding {
// benchKernel(op, options): the kernels of bench/ (issue 6) called one at a time, so that the suite
// can time them — BLAS-3 and LAPACK timed natively for the machine floor, the sparse passes, the
// sketches on a given D, and the Strassen–Winograd experiment. Not part of the public API.
Napi::Value BenchKernel(const Napi::CallbackInfo& info);
}  // namespace softnewton::binding
