// bf16 compute mode (kernels.h MatMul with w.bf16_compute): y = x_bf16 · W_bf16^T with AVX512_BF16
// vdpbf16ps and fp32 accumulation. Its own translation unit, built with -mavx512bf16 and reached
// only through dispatch.cc after the CPU was checked (cpu/ops.h Bf16Gemm).
#include <immintrin.h>

#include "kernels/cpu/ops.h"

namespace haloguard::kernels::cpu {
namespace {

// Every y[t, n] is one 32-wide accumulator over k in steps of 32 (16 fp32 lanes, two products
// each) and the same horizontal sum, whatever the tile: results do not depend on T or on the
// task split (batch invariance). x rows are zero padded to K32, so the masked W tail adds zeros.
template <int MT, int NT>
void Tile(const Bf16Args& a, int64_t t, int64_t n) {
  __m512 acc[MT][NT];
  for (int i = 0; i < MT; ++i)
    for (int j = 0; j < NT; ++j) acc[i][j] = _mm512_setzero_ps();
  const int64_t K = a.K;
  for (int64_t k = 0; k < K; k += 32) {
    const __mmask32 m = K - k >= 32 ? ~__mmask32{0} : (__mmask32{1} << (K - k)) - 1;
    __m512i wv[NT];
    for (int j = 0; j < NT; ++j) wv[j] = _mm512_maskz_loadu_epi16(m, a.w + (n + j) * K + k);
    for (int i = 0; i < MT; ++i) {
      const __m512i xv = _mm512_load_si512(a.xb + (t + i) * a.K32 + k);
      for (int j = 0; j < NT; ++j)
        acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)xv, (__m512bh)wv[j]);
    }
  }
  for (int i = 0; i < MT; ++i)
    for (int j = 0; j < NT; ++j) a.y[(t + i) * a.ldy + n + j] = _mm512_reduce_add_ps(acc[i][j]);
}

template <int NT>
void Columns(const Bf16Args& a, int64_t t0, int64_t t1, int64_t n) {
  int64_t t = t0;
  for (; t + 4 <= t1; t += 4) Tile<4, NT>(a, t, n);
  for (; t < t1; ++t) Tile<1, NT>(a, t, n);
}

}  // namespace

void GemmBf16Avx512(const Bf16Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1) {
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) Columns<4>(a, t0, t1, n);
  for (; n < n1; ++n) Columns<1>(a, t0, t1, n);
}

}  // namespace haloguard::kernels::cpu
