// JavaScript values → the core's plain views. TypeScript validates first; these checks repeat
// what memory safety depends on, so that a caller bypassing the TypeScript layer still gets an
// error, not a crash. Every message starts with the field it is about.
#pragma once
#include <napi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/model.h"

namespace softnewton::binding {

[[noreturn]] void fail(Napi::Env env, const std::string& message);

Napi::Value requireField(const Napi::Object& o, const char* field);
double requireNumber(const Napi::Object& o, const char* field);
bool optionalBoolean(const Napi::Object& o, const char* field, bool fallback);
int64_t requireCount(const Napi::Object& o, const char* field, int64_t min, int64_t max);
uint64_t requireSeed(const Napi::Object& o, const char* field);
std::string requireString(const Napi::Object& o, const char* field);

// A Float64Array / Int32Array field; expectedLength < 0 accepts any length.
Napi::Float64Array requireFloat64Array(Napi::Env env, Napi::Value v, const std::string& field,
                                       int64_t expectedLength);
Napi::Int32Array requireInt32Array(Napi::Env env, Napi::Value v, const std::string& field,
                                   int64_t expectedLength);

ModelKind parseModel(Napi::Env env, const std::string& name);
// The names parseModel and parseUnit accept, in their documented order.
std::vector<std::string> modelNames();
std::vector<std::string> unitNames();
Unit parseUnit(Napi::Env env, const std::string& name);

// A scale, bias or weight: a Float64Array of length 1 (one value for all rows) or n.
RowParameter parseRowParameter(Napi::Env env, Napi::Float64Array a, const char* field, int64_t rows);

// The model fields of `o` into `spec`: model, unit, scale and bias, and with `regularised` also
// weight and ridge. Each row-parameter array is handed to `keep`, for owners that must hold it
// alive while `spec` points into it.
void parseModelFields(Napi::Env env, const Napi::Object& o, int64_t rows, bool regularised, ModelSpec& spec,
                      const std::function<void(Napi::TypedArray)>& keep);

}  // namespace softnewton::binding
