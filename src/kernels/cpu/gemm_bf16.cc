// bf16 compute mode (kernels.h MatMul with w.bf16_compute): y = x_bf16 · W_bf16^T with AVX512_BF16
// vdpbf16ps and fp32 accumulation, and the rounding of x to bf16. Its own translation unit, built
// with -mavx512bf16 and reached only through dispatch.cc after the CPU was checked (cpu/ops.h).
#include <immintrin.h>

#include "kernels/cpu/ops.h"

namespace haloguard::kernels::cpu {
namespace {

// ---- Horizontal sums of a 4 x 4 tile of accumulators ----
// The 16 lanes of every accumulator are summed by the same 4-level tree (lane l + lane l + 8,
// then + 4, + 2, + 1), 16 accumulators at a time by shuffles that never mix two accumulators:
// 30 shuffles and 15 adds for 16 sums instead of ~10 instructions per sum. Zero accumulators
// padding a smaller tile leave the others' bits unchanged, so a result does not depend on the
// tile it was computed in (batch invariance).
#define HG_INLINE inline __attribute__((always_inline))

HG_INLINE __m512 HalvesSum(__m512 a, __m512 b, int lo, int hi) {
  return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, lo), _mm512_shuffle_f32x4(a, b, hi));
}

// acc[4 i + j] -> lane 4 i + j of the result.
HG_INLINE __m512 Sum16(const __m512 acc[16]) {
  // Fed in transposed order (input 4 p + q is acc[4 q + p]) because the tree leaves input m's
  // sum in lane 4 (m % 4) + m / 4.
  __m512 w[8], x[4], y[2];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {  // level 1: inputs 2i, 2i+1 -> 256-bit halves
    const int m0 = 2 * i, m1 = 2 * i + 1;
    w[i] = HalvesSum(acc[4 * (m0 % 4) + m0 / 4], acc[4 * (m1 % 4) + m1 / 4], 0x44, 0xEE);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) x[i] = HalvesSum(w[2 * i], w[2 * i + 1], 0x88, 0xDD);  // 128-bit quarters
#pragma GCC unroll 2
  for (int i = 0; i < 2; ++i) {  // level 3: pairs within each 128-bit lane
    y[i] = _mm512_add_ps(_mm512_shuffle_ps(x[2 * i], x[2 * i + 1], 0x44), _mm512_shuffle_ps(x[2 * i], x[2 * i + 1], 0xEE));
  }
  return _mm512_add_ps(_mm512_shuffle_ps(y[0], y[1], 0x88), _mm512_shuffle_ps(y[0], y[1], 0xDD));
}

// acc += the pairwise products of x and w (vdpbf16ps). Inline asm ties the accumulator to its
// register: with the intrinsic, GCC 12 stores every accumulator to the stack on each k step
// (as with vpdpbusd, gemm_int8_vnni.cc).
HG_INLINE __m512 Dot2(__m512 acc, __m512i x, __m512i w) {
  asm("vdpbf16ps %[w], %[x], %[acc]" : [acc] "+v"(acc) : [x] "v"(x), [w] "v"(w));
  return acc;
}

// ---- Tiles ----
// y[t + i, n + j] for i < mt, j < nt (<= 4 each): one 16-lane accumulator per output over k in
// steps of 32 (two products per lane), then Sum16. x rows are zero padded to K32, so the masked
// W tail adds zeros. Rows/columns past mt/nt keep zero accumulators and are not stored.
template <int MT, int NT>
void Tile(const Bf16Args& a, int64_t t, int64_t n) {
  __m512 acc[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
  const int64_t K = a.K;
  for (int64_t k = 0; k < K; k += 32) {
    const __mmask32 m = K - k >= 32 ? ~__mmask32{0} : (__mmask32{1} << (K - k)) - 1;
    __m512i wv[NT];
#pragma GCC unroll 4
    for (int j = 0; j < NT; ++j) wv[j] = _mm512_maskz_loadu_epi16(m, a.w + (n + j) * K + k);
#pragma GCC unroll 4
    for (int i = 0; i < MT; ++i) {
      const __m512i xv = _mm512_load_si512(a.xb + (t + i) * a.K32 + k);
#pragma GCC unroll 4
      for (int j = 0; j < NT; ++j) acc[4 * i + j] = Dot2(acc[4 * i + j], xv, wv[j]);
    }
  }
  alignas(64) float sums[16];
  _mm512_store_ps(sums, Sum16(acc));
  for (int i = 0; i < MT; ++i)
    for (int j = 0; j < NT; ++j) a.y[(t + i) * a.ldy + n + j] = sums[4 * i + j];
}

template <int NT>
void Columns(const Bf16Args& a, int64_t t0, int64_t t1, int64_t n) {
  int64_t t = t0;
  for (; t + 4 <= t1; t += 4) Tile<4, NT>(a, t, n);
  switch (t1 - t) {
    case 3: Tile<3, NT>(a, t, n); break;
    case 2: Tile<2, NT>(a, t, n); break;
    case 1: Tile<1, NT>(a, t, n); break;
    default: break;
  }
}

}  // namespace

void GemmBf16Avx512(const Bf16Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, void*) {
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) Columns<4>(a, t0, t1, n);
  switch (n1 - n) {
    case 3: Columns<3>(a, t0, t1, n); break;
    case 2: Columns<2>(a, t0, t1, n); break;
    case 1: Columns<1>(a, t0, t1, n); break;
    default: break;
  }
}

// F32ToBf16 (core/bf16.h) 16 lanes at a time, bit for bit: round to nearest even by adding
// 0x7fff + the kept lsb; NaN keeps its top bits and becomes quiet. (vcvtneps2bf16 would flush
// subnormal inputs to zero, which the scalar rounding and the reference do not.)
void RoundRowBf16Avx512(const float* x, int64_t K, uint16_t* xb, int64_t K32) {
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x40);
  for (int64_t k = 0; k < K32; k += 16) {
    const __mmask16 m = K - k >= 16 ? __mmask16(0xffff) : K > k ? __mmask16((1u << (K - k)) - 1) : __mmask16(0);
    const __m512i u = _mm512_castps_si512(_mm512_maskz_loadu_ps(m, x + k));
    const __m512i rounded = _mm512_srli_epi32(
        _mm512_add_epi32(u, _mm512_add_epi32(bias, _mm512_and_si512(_mm512_srli_epi32(u, 16), one))), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs_mask), inf);
    const __m512i h = _mm512_mask_or_epi32(rounded, nan, _mm512_srli_epi32(u, 16), quiet);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(xb + k), _mm512_cvtepi32_epi16(h));
  }
}

#undef HG_INLINE

}  // namespace haloguard::kernels::cpu
