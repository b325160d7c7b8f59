// The second layer's nonlinear units φ with φ′ and φ″, each written so that it does not overflow
// where the true value is finite (the planted problems put v = a·s + c in the hundreds).
#pragma once
#include <cmath>

namespace softnewton {

enum class Unit { Identity, Relu, Sigmoid, Tanh, Softplus, Exp, Gelu };

struct UnitValue {
  double value, first, second;  // φ(v), φ′(v), φ″(v)
};

// The exponential each unit needs, as an argument for exp: exp(−|v|) for sigmoid and softplus,
// exp(−2|v|) for tanh, exp(v) for exp, exp(−v²/2) for gelu (0 for the others). Computing these over a
// block of rows at once lets the per-row work use a vectorised exp (core/vmath.h).
inline double unitExpArgument(Unit unit, double v) {
  switch (unit) {
    case Unit::Sigmoid:
    case Unit::Softplus: return -std::fabs(v);
    case Unit::Tanh: return -2.0 * std::fabs(v);
    case Unit::Exp: return v;
    case Unit::Gelu: return -0.5 * v * v;
    case Unit::Identity:
    case Unit::Relu: return 0.0;
  }
  return 0.0;
}

// φ, φ′, φ″ at v, given t = exp(unitExpArgument(unit, v)) and, for softplus, l = log1p(t).
inline UnitValue unitFromExp(Unit unit, double v, double t, double l) {
  switch (unit) {
    case Unit::Identity:
      return {v, 1.0, 0.0};
    case Unit::Relu:
      // The generalised derivative: φ′(0) = 0 and φ″ = 0 everywhere.
      return {v > 0 ? v : 0.0, v > 0 ? 1.0 : 0.0, 0.0};
    case Unit::Sigmoid:
    case Unit::Softplus: {
      // σ and 1 − σ both from t = exp(−|v|), so neither cancels nor overflows.
      const double sigma = v >= 0 ? 1.0 / (1.0 + t) : t / (1.0 + t);
      const double complement = v >= 0 ? t / (1.0 + t) : 1.0 / (1.0 + t);
      const double slope = sigma * complement;
      if (unit == Unit::Softplus) return {std::fmax(v, 0.0) + l, sigma, slope};
      return {sigma, slope, slope * (complement - sigma)};
    }
    case Unit::Tanh: {
      // 1 − tanh² as 4e^{−2|v|}/(1 + e^{−2|v|})²: no cancellation for large |v|.
      const double value = std::tanh(v);
      const double sech2 = 4.0 * t / ((1.0 + t) * (1.0 + t));
      return {value, sech2, -2.0 * value * sech2};
    }
    case Unit::Exp:
      return {t, t, t};
    case Unit::Gelu: {
      // Exact GELU: φ(v) = v Φ(v), Φ the standard normal CDF (via erfc, accurate in both tails).
      constexpr double kInvSqrt2 = 0.70710678118654752440;
      constexpr double kInvSqrt2Pi = 0.39894228040143267794;
      const double cdf = 0.5 * std::erfc(-v * kInvSqrt2);
      const double pdf = kInvSqrt2Pi * t;
      return {v * cdf, cdf + v * pdf, pdf * (2.0 - v * v)};
    }
  }
  return {NAN, NAN, NAN};
}

// One value at a time (predictions, tests): the same formulas with libm's exp and log1p.
inline UnitValue applyUnit(Unit unit, double v) {
  const double t = std::exp(unitExpArgument(unit, v));
  return unitFromExp(unit, v, t, unit == Unit::Softplus ? std::log1p(t) : 0.0);
}

}  // namespace softnewton
