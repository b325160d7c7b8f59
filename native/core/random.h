// Seeded, platform-independent random numbers. std::normal_distribution and friends are
// implementation-defined, so every draw here is written out: the same seed gives the same bits on
// every compiler and standard library.
#pragma once
#include <cmath>
#include <cstdint>

namespace softnewton {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    // splitmix64 expands one seed into the four words of xoshiro256**.
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  double uniformPositive() { return 1.0 - uniform(); }
  // Uniform integer in [0, bound), bias-free (Lemire's method with rejection).
  uint64_t below(uint64_t bound) {
    __uint128_t m = static_cast<__uint128_t>(next()) * bound;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < bound) {
      const uint64_t threshold = -bound % bound;
      while (low < threshold) {
        m = static_cast<__uint128_t>(next()) * bound;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }
  double sign() { return (next() >> 63) ? 1.0 : -1.0; }
  // Standard normal by Box–Muller; the second value is kept for the next call.
  double normal() {
    if (hasSpare_) {
      hasSpare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(uniformPositive()));
    const double angle = 2.0 * M_PI * uniform();
    spare_ = radius * std::sin(angle);
    hasSpare_ = true;
    return radius * std::cos(angle);
  }

  // An independent stream for sub-task `index` (a start, a row block), derived from this seed.
  static uint64_t derive(uint64_t seed, uint64_t index) {
    Rng r(seed ^ (0xd1b54a32d192ed03ULL * (index + 1)));
    return r.next();
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
  double spare_ = 0.0;
  bool hasSpare_ = false;
};

}  // namespace softnewton
