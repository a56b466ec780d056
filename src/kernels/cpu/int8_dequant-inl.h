// The int8 GEMMs' epilogue (gemm_int8_vnni.cc, gemm_int8_amx.cc), one definition so that both
// kernels turn the same int32 sums into bit-identical outputs: y = (sx * sw) * f32(acc - 128 *
// row_sum). Include only from translation units compiled with the AVX-512 flags.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/ops.h"

namespace haloguard::kernels::avx512 {

// Outputs [n, n + nr) (nr <= 32) of the rows of one tile: the weight scales and row-sum
// corrections loaded once, then Store per row.
struct Int8Dequant {
  __mmask16 k0, k1;
  __m512 sw0, sw1;
  __m512i c0, c1;

  Int8Dequant(const cpu::Int8Args& a, int64_t n, int64_t nr) {
    k0 = nr >= 16 ? 0xffff : static_cast<__mmask16>((1u << nr) - 1);
    k1 = nr >= 32 ? 0xffff : nr > 16 ? static_cast<__mmask16>((1u << (nr - 16)) - 1) : 0;
    sw0 = _mm512_maskz_loadu_ps(k0, a.sw + n);
    sw1 = _mm512_maskz_loadu_ps(k1, a.sw + n + 16);
    c0 = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(k0, a.row_sum + n), 7);
    c1 = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(k1, a.row_sum + n + 16), 7);
  }
  // y[t, n .. n + nr) from the sums of outputs n .. n + 16 (acc0) and n + 16 .. n + 32 (acc1).
  void Store(const cpu::Int8Args& a, int64_t t, int64_t n, __m512i acc0, __m512i acc1) const {
    const __m512 s = _mm512_set1_ps(a.sx[t]);
    float* yr = a.y + t * a.ldy + n;
    _mm512_mask_storeu_ps(yr, k0, _mm512_mul_ps(_mm512_mul_ps(s, sw0), _mm512_cvtepi32_ps(_mm512_sub_epi32(acc0, c0))));
    _mm512_mask_storeu_ps(yr + 16, k1, _mm512_mul_ps(_mm512_mul_ps(s, sw1), _mm512_cvtepi32_ps(_mm512_sub_epi32(acc1, c1))));
  }
};

}  // namespace haloguard::kernels::avx512
