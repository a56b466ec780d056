// Vec for AVX-512 (16 fp32 lanes): the lane type the per-target kernel templates (*-inl.h) are
// written against. Include only from translation units compiled with the AVX-512 flags.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace haloguard::kernels::avx512 {

struct Vec {
  using V = __m512;
  static constexpr int kLanes = 16;

  static V Zero() { return _mm512_setzero_ps(); }
  static V Set(float v) { return _mm512_set1_ps(v); }
  static V Load(const float* p) { return _mm512_loadu_ps(p); }
  static void Store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static __mmask16 Mask(int64_t n) {
    return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1);
  }
  // First n (< kLanes) lanes; the rest read as 0 and are never touched in memory.
  static V LoadN(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(Mask(n), p); }
  static void StoreN(float* p, V v, int64_t n) { _mm512_mask_storeu_ps(p, Mask(n), v); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
  static V Sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm512_div_ps(a, b); }
  static V Max(V a, V b) { return _mm512_max_ps(a, b); }
  static V Min(V a, V b) { return _mm512_min_ps(a, b); }
  static V Abs(V a) { return _mm512_abs_ps(a); }
  static V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }    // a * b + c
  static V Fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a * b
  static V Round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // a * 2^n for integral n; over/underflow saturate to inf/0 (denormals kept).
  static V Scale2(V a, V n) { return _mm512_scalef_ps(a, n); }
  static float Sum(V a) { return _mm512_reduce_add_ps(a); }
  static float MaxOf(V a) { return _mm512_reduce_max_ps(a); }
};

}  // namespace haloguard::kernels::avx512
