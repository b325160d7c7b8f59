#include "binding/convert.h"

#include <cmath>

namespace softnewton::binding {

void fail(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }

Napi::Value requireField(const Napi::Object& o, const char* field) {
  Napi::Value v = o.Get(field);
  if (v.IsUndefined()) fail(o.Env(), std::string(field) + ": is required");
  return v;
}

double requireNumber(const Napi::Object& o, const char* field) {
  Napi::Value v = requireField(o, field);
  if (!v.IsNumber()) fail(o.Env(), std::string(field) + ": expected a number");
  const double x = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x)) fail(o.Env(), std::string(field) + ": expected a finite number");
  return x;
}

bool optionalBoolean(const Napi::Object& o, const char* field, bool fallback) {
  Napi::Value v = o.Get(field);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) fail(o.Env(), std::string(field) + ": expected a boolean");
  return v.As<Napi::Boolean>().Value();
}

int64_t requireCount(const Napi::Object& o, const char* field, int64_t min, int64_t max) {
  const double x = requireNumber(o, field);
  if (x != std::floor(x) || x < static_cast<double>(min) || x > static_cast<double>(max))
    fail(o.Env(), std::string(field) + ": expected an integer from " + std::to_string(min) + " to " +
                      std::to_string(max));
  return static_cast<int64_t>(x);
}

uint64_t requireSeed(const Napi::Object& o, const char* field) {
  return static_cast<uint64_t>(requireCount(o, field, 0, (int64_t{1} << 53) - 1));
}

std::string requireString(const Napi::Object& o, const char* field) {
  Napi::Value v = requireField(o, field);
  if (!v.IsString()) fail(o.Env(), std::string(field) + ": expected a string");
  return v.As<Napi::String>().Utf8Value();
}

namespace {
template <class Array>
Array requireTyped(Napi::Env env, Napi::Value v, const std::string& field, int64_t expectedLength,
                   napi_typedarray_type type, const char* typeName) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    fail(env, field + ": expected a " + typeName);
  Array a = v.As<Array>();
  if (expectedLength >= 0 && static_cast<int64_t>(a.ElementLength()) != expectedLength)
    fail(env, field + ": expected length " + std::to_string(expectedLength) + ", got " +
                  std::to_string(a.ElementLength()));
  return a;
}
}  // namespace

Napi::Float64Array requireFloat64Array(Napi::Env env, Napi::Value v, const std::string& field,
                                       int64_t expectedLength) {
  return requireTyped<Napi::Float64Array>(env, v, field, expectedLength, napi_float64_array, "Float64Array");
}

Napi::Int32Array requireInt32Array(Napi::Env env, Napi::Value v, const std::string& field,
                                   int64_t expectedLength) {
  return requireTyped<Napi::Int32Array>(env, v, field, expectedLength, napi_int32_array, "Int32Array");
}

namespace {
// The names JavaScript uses, once: parsing and the exported name lists (modelNames, unitNames) read these.
const std::pair<const char*, ModelKind> kModels[] = {
    {"softmax-unit", ModelKind::SoftmaxUnit}, {"softmax", ModelKind::Softmax}, {"relu-softmax", ModelKind::ReluSoftmax}};
const std::pair<const char*, Unit> kUnits[] = {
    {"identity", Unit::Identity}, {"relu", Unit::Relu}, {"sigmoid", Unit::Sigmoid}, {"tanh", Unit::Tanh},
    {"softplus", Unit::Softplus}, {"exp", Unit::Exp},   {"gelu", Unit::Gelu}};
}  // namespace

std::vector<std::string> modelNames() {
  std::vector<std::string> out;
  for (const auto& entry : kModels) out.emplace_back(entry.first);
  return out;
}

std::vector<std::string> unitNames() {
  std::vector<std::string> out;
  for (const auto& entry : kUnits) out.emplace_back(entry.first);
  return out;
}

ModelKind parseModel(Napi::Env env, const std::string& name) {
  for (const auto& [modelName, model] : kModels)
    if (name == modelName) return model;
  fail(env, "model: unknown model '" + name + "'");
}

Unit parseUnit(Napi::Env env, const std::string& name) {
  for (const auto& [unitName, unit] : kUnits)
    if (name == unitName) return unit;
  fail(env, "unit: unknown unit '" + name + "'");
}

RowParameter parseRowParameter(Napi::Env env, Napi::Float64Array a, const char* field, int64_t rows) {
  const int64_t length = static_cast<int64_t>(a.ElementLength());
  if (length != 1 && length != rows)
    fail(env, std::string(field) + ": expected one value or one per row (" + std::to_string(rows) + ")");
  const double* values = a.Data();
  for (int64_t i = 0; i < length; ++i)
    if (!std::isfinite(values[i])) fail(env, std::string(field) + ": must be finite");
  RowParameter p;
  if (length == 1 && rows != 1) p.scalar = values[0];
  else p.perRow = a.Data();
  return p;
}

void parseModelFields(Napi::Env env, const Napi::Object& o, int64_t rows, bool regularised, ModelSpec& spec,
                      const std::function<void(Napi::TypedArray)>& keep) {
  spec.kind = parseModel(env, requireString(o, "model"));
  spec.unit = parseUnit(env, requireString(o, "unit"));
  const std::pair<const char*, RowParameter*> parameters[] = {
      {"scale", &spec.scale}, {"bias", &spec.bias}, {"weight", &spec.weight}};
  for (const auto& [field, parameter] : parameters) {
    if (!regularised && parameter == &spec.weight) break;
    auto array = requireFloat64Array(env, requireField(o, field), field, -1);
    *parameter = parseRowParameter(env, array, field, rows);
    keep(array);
  }
  if (regularised) {
    spec.ridge = requireNumber(o, "ridge");
    if (spec.ridge < 0) fail(env, "ridge: must be >= 0");
  }
}

}  // namespace softnewton::binding
