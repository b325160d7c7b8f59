#pragma once
#include <napi.h>

namespace softnewton::binding {
Napi::Value GeneratePlanted(const Napi::CallbackInfo& info);
}
