// Runtime CPU dispatch for the project's own hot loops.
//
// The addon is compiled for the x86-64 baseline so that one prebuilt binary loads on any x86-64 CPU
// (docs/install.md). A function marked SOFTNEWTON_DISPATCH is compiled three times — for x86-64-v4
// (AVX-512), x86-64-v3 (AVX2 + FMA) and the baseline — and an ifunc resolver picks one when the addon
// is loaded, from what the CPU reports. OpenBLAS and LAPACK dispatch by themselves.
//
// A marked function must not throw (nor allocate, which may throw std::bad_alloc): an exception
// thrown inside a clone ended in std::terminate with GCC 12, not in its caller's handler.
//
// Mark only functions whose loops the compiler vectorises and whose time matters; each clone costs
// code size. The build forbids fused multiply-adds (-ffp-contract=off, binding.gyp) and the compiler
// does not reorder floating-point sums, so every clone rounds exactly as the baseline does.
//
// Put the mark on the definition in the .cc file. GCC then makes the plain symbol the dispatcher, so
// callers that see only the unmarked declaration in the header call it. Clang does not (it wants the
// attribute on every declaration and leaves the plain symbol undefined otherwise), so under clang —
// the sanitizer and fuzz builds, which need no dispatch — the mark is empty. Builds that must not
// dispatch for another reason define SOFTNEWTON_NO_DISPATCH. Either way every marked function then
// compiles once, for the build's own -march.
#pragma once

#if defined(SOFTNEWTON_NO_DISPATCH) || defined(__clang__) || !defined(__x86_64__) || !defined(__GNUC__)
#define SOFTNEWTON_DISPATCH
#else
#define SOFTNEWTON_DISPATCH __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
