#pragma once
#include <napi.h>

namespace softnewton::binding {
// cpuFeatures() → which clone of the functions marked SOFTNEWTON_DISPATCH (core/dispatch.h) this CPU
// runs, what the addon was compiled for, the CPU features that decide it, and the OpenBLAS kernel in
// use (docs/install.md).
Napi::Value CpuFeatures(const Napi::CallbackInfo& info);
}  // namespace softnewton::binding
