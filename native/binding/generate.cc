#include "binding/generate.h"

#include <cstring>

#include "binding/convert.h"
#include "core/planted.h"

namespace softnewton::binding {

namespace {
template <class Array, class T>
Array copyOut(Napi::Env env, const std::vector<T>& v) {
  auto out = Array::New(env, v.size());
  if (!v.empty()) std::memcpy(out.Data(), v.data(), sizeof(T) * v.size());
  return out;
}
}  // namespace

// generatePlanted({rows, cols, density, radius, noise, seed, model, unit, scale, bias})
//   → {indptr, indices, values, xStar, target}
Napi::Value GeneratePlanted(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) fail(env, "options: expected an object");
  Napi::Object o = info[0].As<Napi::Object>();
  PlantedOptions options;
  options.rows = requireCount(o, "rows", 0, INT32_MAX - 1);
  options.cols = requireCount(o, "cols", 1, INT32_MAX - 1);
  options.density = requireNumber(o, "density");
  if (!(options.density > 0 && options.density <= 1)) fail(env, "density: must be in (0, 1]");
  if (static_cast<double>(options.rows) * options.cols * options.density > 0.95 * INT32_MAX)
    fail(env, "density: rows * cols * density must stay below 2^31 non-zeros");
  options.radius = requireNumber(o, "radius");
  if (!(options.radius > 0)) fail(env, "radius: must be > 0");
  options.noise = requireNumber(o, "noise");
  if (options.noise < 0) fail(env, "noise: must be >= 0");
  options.seed = requireSeed(o, "seed");
  options.conditioning = requireNumber(o, "conditioning");
  if (!(options.conditioning >= 1)) fail(env, "conditioning: must be >= 1");

  ModelSpec spec;
  // The arrays stay alive for this synchronous call: nothing to keep.
  parseModelFields(env, o, options.rows, false, spec, [](Napi::TypedArray) {});

  PlantedProblem p = generatePlanted(options, spec);
  Napi::Object out = Napi::Object::New(env);
  out.Set("indptr", copyOut<Napi::Int32Array>(env, p.indptr));
  out.Set("indices", copyOut<Napi::Int32Array>(env, p.indices));
  out.Set("values", copyOut<Napi::Float64Array>(env, p.values));
  out.Set("xStar", copyOut<Napi::Float64Array>(env, p.xStar));
  out.Set("target", copyOut<Napi::Float64Array>(env, p.target));
  return out;
}

}  // namespace softnewton::binding
