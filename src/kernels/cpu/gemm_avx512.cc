// AVX-512 fp32 matrix multiplication: a 14x32 register-tiled GEMM whose weight panels are widened
// to fp32 while packing (BF16/F16/F32 in memory, never a persistent fp32 copy), and a small-T
// GEMV that streams the stored weights once. Compiled with the AVX-512 flags (CMakeLists.txt).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/cpu/gemm_avx512.h"

namespace haloguard::kernels::avx512 {
namespace {

// Register tile kMr x kNr (28 zmm accumulators); kKc x kNc packed weight block (256 KiB, sized
// for a 1 MiB L2); the A tile (kMr rows x kKc) is 14 KiB and stays in L1.
constexpr int64_t kMr = kGemmMr, kNr = 32, kKc = 256, kNc = kGemmNc;
static_assert(kGemmScratchFloats == kNc * kKc + kMr * kKc);

// Local min: target translation units avoid std:: inline functions, whose out-of-line copies
// (unoptimised builds) could be shared with, and then run by, the portable code.
inline int64_t Min(int64_t a, int64_t b) { return a < b ? a : b; }

inline __m512 Bf16Load(const uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
inline __m512 Bf16LoadN(const uint16_t* p, int64_t n) {
  const __m256i h = _mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << n) - 1), p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
inline __m512 F16Load(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
inline __m512 F16LoadN(const uint16_t* p, int64_t n) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << n) - 1), p));
}

inline float ScalarWeight(const WeightMatrix& w, int64_t n, int64_t k) {
  const int64_t i = n * w.cols + k;
  if (w.dtype == DType::kF32) return static_cast<const float*>(w.data)[i];
  const uint16_t h = static_cast<const uint16_t*>(w.data)[i];
  if (w.dtype == DType::kF16) return _cvtsh_ss(h);
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// In-register transpose of a 16x16 fp32 block: r[i] row i in, r[j] column j out.
inline void Transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // r[4i + c] now holds, in 128-bit lane L, rows 4i..4i+3 of column 4L + c.
  for (int c = 0; c < 4; ++c) {
    const __m512 u0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x44);
    const __m512 u1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xEE);
    const __m512 u2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x44);
    const __m512 u3 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xEE);
    t[c] = _mm512_shuffle_f32x4(u0, u2, 0x88);
    t[4 + c] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
    t[8 + c] = _mm512_shuffle_f32x4(u1, u3, 0x88);
    t[12 + c] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

// Writes rows [row0, row0 + 16) x columns [k0, k0 + kc) of W as fp32 into dst[k * kNr + lane]
// (16 lanes); rows at or past `rows_end` are zero. Full 16-row groups take the transposing path.
void PackHalf(const WeightMatrix& w, int64_t row0, int64_t rows_end, int64_t k0, int64_t kc,
              float* dst) {
  const int64_t nv = rows_end - row0;
  int64_t k = 0;
  if (nv >= 16) {
    __m512 r[16];
    if (w.dtype == DType::kBF16) {
      const uint16_t* base = static_cast<const uint16_t*>(w.data) + row0 * w.cols + k0;
      for (; k + 32 <= kc; k += 32) {
        // Each dword holds the bf16 pair (k + 2j, k + 2j + 1); transposing dwords moves pairs.
        for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(reinterpret_cast<const float*>(base + i * w.cols + k));
        Transpose16(r);
        for (int j = 0; j < 16; ++j) {
          const __m512i v = _mm512_castps_si512(r[j]);
          _mm512_storeu_ps(dst + (k + 2 * j) * kNr, _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)));
          _mm512_storeu_ps(dst + (k + 2 * j + 1) * kNr,
                           _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32(static_cast<int>(0xffff0000u)))));
        }
      }
    } else {
      for (; k + 16 <= kc; k += 16) {
        for (int i = 0; i < 16; ++i) {
          const int64_t off = (row0 + i) * w.cols + k0 + k;
          r[i] = w.dtype == DType::kF32 ? _mm512_loadu_ps(static_cast<const float*>(w.data) + off)
                                        : F16Load(static_cast<const uint16_t*>(w.data) + off);
        }
        Transpose16(r);
        for (int j = 0; j < 16; ++j) _mm512_storeu_ps(dst + (k + j) * kNr, r[j]);
      }
    }
  }
  for (; k < kc; ++k)
    for (int64_t i = 0; i < 16; ++i) dst[k * kNr + i] = i < nv ? ScalarWeight(w, row0 + i, k0 + k) : 0.0f;
}

// Packs rows [n0, n0 + nc) x columns [k0, k0 + kc) as panels [ceil(nc / 32)][kc][32] fp32.
void PackB(const WeightMatrix& w, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* bp) {
  for (int64_t p = 0; p * kNr < nc; ++p) {
    float* panel = bp + p * kc * kNr;
    for (int64_t h = 0; h < 2; ++h) PackHalf(w, n0 + p * kNr + h * 16, n0 + nc, k0, kc, panel + h * 16);
  }
}

// Copies rows [0, mr) x columns [0, kc) of x into ap with row stride kKc: the kernel then reads
// 14 rows that never alias in L1 (x's own stride is often a multiple of 4 KiB).
void PackA(const float* x, int64_t ldx, int64_t mr, int64_t kc, float* ap) {
  for (int64_t m = 0; m < mr; ++m) std::memcpy(ap + m * kKc, x + m * ldx, kc * sizeof(float));
}

// c[0:M, 0:nr] (+)= a[0:M, 0:kc] · b[0:kc, 0:32] (b zero-padded past nr).
template <int M>
void Kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool add, int64_t nr) {
  __m512 acc0[M], acc1[M];
#pragma GCC unroll 14
  for (int m = 0; m < M; ++m) acc0[m] = acc1[m] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b + k * kNr), b1 = _mm512_loadu_ps(b + k * kNr + 16);
#pragma GCC unroll 14
    for (int m = 0; m < M; ++m) {
      const __m512 av = _mm512_set1_ps(a[m * kKc + k]);
      acc0[m] = _mm512_fmadd_ps(av, b0, acc0[m]);
      acc1[m] = _mm512_fmadd_ps(av, b1, acc1[m]);
    }
  }
  const __mmask16 k0 = nr >= 16 ? 0xffff : static_cast<__mmask16>((1u << nr) - 1);
  const __mmask16 k1 = nr >= 32 ? 0xffff : nr > 16 ? static_cast<__mmask16>((1u << (nr - 16)) - 1) : 0;
#pragma GCC unroll 14
  for (int m = 0; m < M; ++m) {
    float* cr = c + m * ldc;
    if (add) {
      acc0[m] = _mm512_add_ps(acc0[m], _mm512_maskz_loadu_ps(k0, cr));
      acc1[m] = _mm512_add_ps(acc1[m], _mm512_maskz_loadu_ps(k1, cr + 16));
    }
    _mm512_mask_storeu_ps(cr, k0, acc0[m]);
    _mm512_mask_storeu_ps(cr + 16, k1, acc1[m]);
  }
}

using KernelFn = void (*)(int64_t, const float*, const float*, float*, int64_t, bool, int64_t);
constexpr KernelFn kKernels[kMr + 1] = {nullptr,    Kernel<1>,  Kernel<2>,  Kernel<3>,  Kernel<4>,
                                        Kernel<5>,  Kernel<6>,  Kernel<7>,  Kernel<8>,  Kernel<9>,
                                        Kernel<10>, Kernel<11>, Kernel<12>, Kernel<13>, Kernel<14>};

// ---- GEMV (T <= 4): R weight rows x T activation rows of dot products per pass ----
template <int T, int R>
void GemvGroup(const cpu::GemmArgs& a, int64_t n) {
  const WeightMatrix& w = *a.w;
  const int64_t K = w.cols;
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  auto load_w = [&](int r, int64_t k, int64_t left) -> __m512 {
    const int64_t off = (n + r) * K + k;
    if (w.dtype == DType::kBF16) {
      const uint16_t* p = static_cast<const uint16_t*>(w.data) + off;
      return left >= 16 ? Bf16Load(p) : Bf16LoadN(p, left);
    }
    if (w.dtype == DType::kF16) {
      const uint16_t* p = static_cast<const uint16_t*>(w.data) + off;
      return left >= 16 ? F16Load(p) : F16LoadN(p, left);
    }
    const float* p = static_cast<const float*>(w.data) + off;
    return left >= 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << left) - 1), p);
  };
  for (int64_t k = 0; k < K; k += 16) {
    const int64_t left = K - k;
    const __mmask16 mk = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1);
    __m512 xv[T];
    for (int t = 0; t < T; ++t) xv[t] = _mm512_maskz_loadu_ps(mk, a.x + t * a.ldx + k);
    for (int r = 0; r < R; ++r) {
      const __m512 wv = load_w(r, k, left);
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < T; ++t) a.y[t * a.ldy + n + r] = _mm512_reduce_add_ps(acc[r][t]);
}

template <int T>
void GemvRows(const cpu::GemmArgs& a, int64_t n0, int64_t n1) {
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) GemvGroup<T, 4>(a, n);
  for (; n < n1; ++n) GemvGroup<T, 1>(a, n);
}

}  // namespace

void Gemm(const cpu::GemmArgs& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, float* scratch) {
  float* bp = scratch;
  float* ap = scratch + kNc * kKc;
  const int64_t K = a.w->cols;
  for (int64_t nb = n0; nb < n1; nb += kNc) {
    const int64_t nc = Min(kNc, n1 - nb);
    for (int64_t k0 = 0; k0 < K; k0 += kKc) {
      const int64_t kc = Min(kKc, K - k0);
      PackB(*a.w, nb, nc, k0, kc, bp);
      for (int64_t t = t0; t < t1; t += kMr) {
        const int64_t mr = Min(kMr, t1 - t);
        PackA(a.x + t * a.ldx + k0, a.ldx, mr, kc, ap);
        for (int64_t p = 0; p * kNr < nc; ++p) {
          kKernels[mr](kc, ap, bp + p * kc * kNr, a.y + t * a.ldy + nb + p * kNr, a.ldy, k0 > 0,
                       Min(kNr, nc - p * kNr));
        }
      }
    }
  }
}

void Gemv(const cpu::GemmArgs& a, int64_t T, int64_t n0, int64_t n1) {
  switch (T) {
    case 1: GemvRows<1>(a, n0, n1); break;
    case 2: GemvRows<2>(a, n0, n1); break;
    case 3: GemvRows<3>(a, n0, n1); break;
    default: GemvRows<4>(a, n0, n1); break;
  }
}

}  // namespace haloguard::kernels::avx512
