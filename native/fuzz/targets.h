// The fuzz targets: each takes arbitrary bytes, decodes them into inputs of the native core (the
// way the binding hands them over: arrays of exactly the stated lengths) and checks the core's
// promises on them. A broken promise calls abort(); a memory error is caught by the sanitizers.
//
// They are plain functions so that two drivers can call them: libFuzzer (fuzz_*.cc, built with
// clang by native/fuzz/Makefile) and the sanitizer test driver native/test/core_test.cc, which
// replays every stored input (corpus/ and regressions/) on each `npm test`.
#pragma once
#include <cstddef>
#include <cstdint>

namespace softnewton::fuzz {

// CSR and dense validation on arbitrary arrays; when the view is accepted, every pass over it
// (Cx, Cᵀr, rows, the exact Gram and each sketch) runs without a memory error.
int csrTarget(const uint8_t* data, size_t size);

// The models on arbitrary finite z, scale, bias, weight and target: evaluateModel either reports an
// overflow or returns only finite values with a loss ≥ 0; predict never fails.
int modelTarget(const uint8_t* data, size_t size);

// A few iterations of every method and sketch on a tiny problem from the bytes: no exception, never
// a NaN in the result (loss, gradient norm, x, trace), and `converged` only with finite values.
int solveTarget(const uint8_t* data, size_t size);

}  // namespace softnewton::fuzz
