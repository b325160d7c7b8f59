// cpuFeatures(): the runtime CPU dispatch made visible. The clone is decided here the way GCC's
// target_clones resolver decides it (the first of x86-64-v4, x86-64-v3 the CPU supports, else the
// default), through the same libgcc CPU model the resolver reads; OpenBLAS reports its own choice.
#include "binding/cpu_binding.h"

#include "core/dispatch.h"

extern "C" char* openblas_get_corename(void);

namespace softnewton::binding {

Napi::Value CpuFeatures(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const bool v4 = __builtin_cpu_supports("x86-64-v4");
  const bool v3 = __builtin_cpu_supports("x86-64-v3");
  out.Set("arch", "x64");
  out.Set("avx2", __builtin_cpu_supports("avx2") != 0);
  out.Set("fma", __builtin_cpu_supports("fma") != 0);
  out.Set("avx512f", __builtin_cpu_supports("avx512f") != 0);
  out.Set("x86_64_v3", v3);
  out.Set("x86_64_v4", v4);
#if defined(SOFTNEWTON_NO_DISPATCH) || defined(__clang__)  // as in core/dispatch.h
  out.Set("dispatch", false);
  out.Set("clone", "none");
#else
  out.Set("dispatch", true);
  out.Set("clone", v4 ? "x86-64-v4" : v3 ? "x86-64-v3" : "default");
#endif
#else
  out.Set("arch", "other");
  out.Set("dispatch", false);
  out.Set("clone", "none");
#endif
  // The -march the build's own code was compiled for (binding.gyp's softnewton_march).
#ifdef SOFTNEWTON_MARCH
  out.Set("baseline", SOFTNEWTON_MARCH);
#else
  out.Set("baseline", "compiler default");
#endif
  // OpenBLAS picks its kernels by itself at load time (its DYNAMIC_ARCH build): the one it chose.
  out.Set("blasCore", openblas_get_corename());
  return out;
}

}  // namespace softnewton::binding
