// The second layer's nonlinear units φ with φ′ and φ″, each written so that it does not overflow
// where the true value is finite (the planted problems put v = a·s + c in the hundreds).
#pragma once
#include <cmath>

namespace softnewton {

enum class Unit { Identity, Relu, Sigmoid, Tanh, Softplus, Exp, Gelu };

struct UnitValue {
  double value, first, second;  // φ(v), φ′(v), φ″(v)
};

inline UnitValue applyUnit(Unit unit, double v) {
  switch (unit) {
    case Unit::Identity:
      return {v, 1.0, 0.0};
    case Unit::Relu:
      // The generalised derivative: φ′(0) = 0 and φ″ = 0 everywhere.
      return {v > 0 ? v : 0.0, v > 0 ? 1.0 : 0.0, 0.0};
    case Unit::Sigmoid:
    case Unit::Softplus: {
      // σ and 1 − σ both from exp(−|v|), so neither cancels nor overflows.
      const double t = std::exp(-std::fabs(v));
      const double sigma = v >= 0 ? 1.0 / (1.0 + t) : t / (1.0 + t);
      const double complement = v >= 0 ? t / (1.0 + t) : 1.0 / (1.0 + t);
      const double slope = sigma * complement;
      if (unit == Unit::Softplus) return {std::fmax(v, 0.0) + std::log1p(t), sigma, slope};
      return {sigma, slope, slope * (complement - sigma)};
    }
    case Unit::Tanh: {
      // 1 − tanh² as 4e^{−2|v|}/(1 + e^{−2|v|})²: no cancellation for large |v|.
      const double t = std::exp(-2.0 * std::fabs(v));
      const double value = std::tanh(v);
      const double sech2 = 4.0 * t / ((1.0 + t) * (1.0 + t));
      return {value, sech2, -2.0 * value * sech2};
    }
    case Unit::Exp: {
      const double e = std::exp(v);
      return {e, e, e};
    }
    case Unit::Gelu: {
      // Exact GELU: φ(v) = v Φ(v), Φ the standard normal CDF (via erfc, accurate in both tails).
      constexpr double kInvSqrt2 = 0.70710678118654752440;
      constexpr double kInvSqrt2Pi = 0.39894228040143267794;
      const double cdf = 0.5 * std::erfc(-v * kInvSqrt2);
      const double pdf = kInvSqrt2Pi * std::exp(-0.5 * v * v);
      return {v * cdf, cdf + v * pdf, pdf * (2.0 - v * v)};
    }
  }
  return {NAN, NAN, NAN};
}

}  // namespace softnewton
