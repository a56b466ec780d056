// Vec for any CPU (one fp32 lane, plain C++): the lane type the per-target kernel templates
// (*-inl.h) are written against when no SIMD target is available.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace haloguard::kernels::portable {

struct Vec {
  using V = float;
  static constexpr int kLanes = 1;

  static V Zero() { return 0.0f; }
  static V Set(float v) { return v; }
  static V Load(const float* p) { return *p; }
  static void Store(float* p, V v) { *p = v; }
  static V LoadN(const float* p, int64_t n) { return n > 0 ? *p : 0.0f; }
  static void StoreN(float* p, V v, int64_t n) {
    if (n > 0) *p = v;
  }
  static V Add(V a, V b) { return a + b; }
  static V Sub(V a, V b) { return a - b; }
  static V Mul(V a, V b) { return a * b; }
  static V Div(V a, V b) { return a / b; }
  static V Max(V a, V b) { return std::max(a, b); }
  static V Min(V a, V b) { return std::min(a, b); }
  static V Abs(V a) { return std::fabs(a); }
  // v where x >= t, else 0 (also where x is NaN).
  static V ZeroWhereLess(V v, V x, V t) { return x >= t ? v : 0.0f; }
  // Plain multiply-add: std::fma is a slow software routine on CPUs without FMA.
  static V Fma(V a, V b, V c) { return a * b + c; }
  static V Fnma(V a, V b, V c) { return c - a * b; }
  static V Round(V a) { return std::nearbyint(a); }
  static V Scale2(V a, V n) { return std::ldexp(a, static_cast<int>(n)); }
  static float Sum(V a) { return a; }
  static float MaxOf(V a) { return a; }
  static void Transpose(V*) {}  // a 1x1 block
};

}  // namespace haloguard::kernels::portable
