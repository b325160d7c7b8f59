// The shipped addon's module registration, apart from addon.cc so that the bench-only addon
// (native/bench/bench_module.cc) can register the same Addon with its extra functions instead.
#include "binding/addon.h"

using SoftnewtonAddon = softnewton::binding::Addon;
NODE_API_ADDON(SoftnewtonAddon)
