// AVX2 + FMA fp32 matrix multiplication: a 6x16 register-tiled GEMM whose weight panels are
// widened to fp32 while packing, and a small-T GEMV streaming the stored weights once. Same
// structure as gemm_avx512.cc with 8-lane vectors and 16 registers. Compiled with the AVX2 flags.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/cpu/gemm_avx2.h"

namespace haloguard::kernels::avx2 {
namespace {

// Tile kMr x kNr = 12 ymm accumulators of 16; the packed block kKc x kNc is 128 KiB.
constexpr int64_t kMr = kGemmMr, kNr = 16, kKc = 256, kNc = kGemmNc;
static_assert(kGemmScratchFloats == kNc * kKc + kMr * kKc);

// Local min: target translation units avoid std:: inline functions (see vec_math-inl.h).
inline int64_t Min(int64_t a, int64_t b) { return a < b ? a : b; }

inline float Bf16Scalar(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float ScalarWeight(const WeightMatrix& w, int64_t n, int64_t k) {
  const int64_t i = n * w.cols + k;
  if (w.dtype == DType::kF32) return static_cast<const float*>(w.data)[i];
  const uint16_t h = static_cast<const uint16_t*>(w.data)[i];
  return w.dtype == DType::kF16 ? _cvtsh_ss(h) : Bf16Scalar(h);
}

// 8 weights of row n from column k as fp32 (left < 8: the rest are 0).
inline __m256 LoadW8(const WeightMatrix& w, int64_t n, int64_t k, int64_t left) {
  const int64_t off = n * w.cols + k;
  if (left < 8) {
    alignas(32) float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = 0; i < left; ++i) tmp[i] = ScalarWeight(w, n, k + i);
    return _mm256_load_ps(tmp);
  }
  if (w.dtype == DType::kF32) return _mm256_loadu_ps(static_cast<const float*>(w.data) + off);
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(w.data) + off));
  if (w.dtype == DType::kF16) return _mm256_cvtph_ps(h);
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// In-register transpose of an 8x8 fp32 block: r[i] row i in, r[j] column j out.
inline void Transpose8(__m256 r[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    s[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm256_permute2f128_ps(s[c], s[c + 4], 0x20);
    r[c + 4] = _mm256_permute2f128_ps(s[c], s[c + 4], 0x31);
  }
}

// Rows [row0, row0 + 8) x columns [k0, k0 + kc) of W as fp32 into dst[k * kNr + lane].
void PackHalf(const WeightMatrix& w, int64_t row0, int64_t rows_end, int64_t k0, int64_t kc, float* dst) {
  const int64_t nv = rows_end - row0;
  int64_t k = 0;
  if (nv >= 8 && w.dtype == DType::kBF16) {
    const uint16_t* base = static_cast<const uint16_t*>(w.data) + row0 * w.cols + k0;
    __m256 r[8];
    for (; k + 16 <= kc; k += 16) {
      // Dwords hold bf16 pairs (k + 2j, k + 2j + 1); transposing dwords moves pairs.
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(reinterpret_cast<const float*>(base + i * w.cols + k));
      Transpose8(r);
      for (int j = 0; j < 8; ++j) {
        const __m256i v = _mm256_castps_si256(r[j]);
        _mm256_storeu_ps(dst + (k + 2 * j) * kNr, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
        _mm256_storeu_ps(dst + (k + 2 * j + 1) * kNr,
                         _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32(static_cast<int>(0xffff0000u)))));
      }
    }
  } else if (nv >= 8) {
    __m256 r[8];
    for (; k + 8 <= kc; k += 8) {
      for (int i = 0; i < 8; ++i) r[i] = LoadW8(w, row0 + i, k0 + k, 8);
      Transpose8(r);
      for (int j = 0; j < 8; ++j) _mm256_storeu_ps(dst + (k + j) * kNr, r[j]);
    }
  }
  for (; k < kc; ++k)
    for (int64_t i = 0; i < 8; ++i) dst[k * kNr + i] = i < nv ? ScalarWeight(w, row0 + i, k0 + k) : 0.0f;
}

void PackB(const WeightMatrix& w, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* bp) {
  for (int64_t p = 0; p * kNr < nc; ++p) {
    float* panel = bp + p * kc * kNr;
    for (int64_t h = 0; h < 2; ++h) PackHalf(w, n0 + p * kNr + h * 8, n0 + nc, k0, kc, panel + h * 8);
  }
}

inline __m256i Mask8(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n < 0 ? 0 : n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// c[0:M, 0:nr] (+)= a[0:M, 0:kc] · b[0:kc, 0:16] (b zero-padded past nr).
template <int M>
void Kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool add, int64_t nr) {
  __m256 acc0[M], acc1[M];
  for (int m = 0; m < M; ++m) acc0[m] = acc1[m] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b + k * kNr), b1 = _mm256_loadu_ps(b + k * kNr + 8);
#pragma GCC unroll 6
    for (int m = 0; m < M; ++m) {
      const __m256 av = _mm256_broadcast_ss(a + m * kKc + k);
      acc0[m] = _mm256_fmadd_ps(av, b0, acc0[m]);
      acc1[m] = _mm256_fmadd_ps(av, b1, acc1[m]);
    }
  }
  const __m256i k0 = Mask8(nr), k1 = Mask8(nr - 8);
  for (int m = 0; m < M; ++m) {
    float* cr = c + m * ldc;
    if (add) {
      acc0[m] = _mm256_add_ps(acc0[m], _mm256_maskload_ps(cr, k0));
      acc1[m] = _mm256_add_ps(acc1[m], _mm256_maskload_ps(cr + 8, k1));
    }
    _mm256_maskstore_ps(cr, k0, acc0[m]);
    _mm256_maskstore_ps(cr + 8, k1, acc1[m]);
  }
}

using KernelFn = void (*)(int64_t, const float*, const float*, float*, int64_t, bool, int64_t);
constexpr KernelFn kKernels[kMr + 1] = {nullptr, Kernel<1>, Kernel<2>, Kernel<3>, Kernel<4>, Kernel<5>, Kernel<6>};

// ---- GEMV (T <= 4) ----
// Bit-identical to the GEMM (batch invariance, see gemm_avx512.cc): per output a sequential FMA
// chain over k inside each kKc block, blocks added in order; lanes are 8 output rows, W
// transposed in registers; kGroups row groups hide the FMA latency.
constexpr int kGroups = 2;

template <int T>
inline void ChainStep(__m256 acc[kGroups][T], const cpu::GemmArgs& a, int64_t k, int g, __m256 wcol) {
  for (int t = 0; t < T; ++t) acc[g][t] = _mm256_fmadd_ps(_mm256_broadcast_ss(a.x + t * a.ldx + k), wcol, acc[g][t]);
}

template <int T>
void GemvBlock(const cpu::GemmArgs& a, int64_t n, int64_t k0, int64_t kc, __m256 acc[kGroups][T]) {
  const WeightMatrix& w = *a.w;
  __m256 col[kGroups][8];
  const bool full = n + kGroups * 8 <= w.rows;
  int64_t k = 0;
  if (full && w.dtype == DType::kBF16) {
    for (; k + 16 <= kc; k += 16) {
      for (int g = 0; g < kGroups; ++g) {
        const uint16_t* base = static_cast<const uint16_t*>(w.data) + (n + 8 * g) * w.cols + k0 + k;
        for (int i = 0; i < 8; ++i) col[g][i] = _mm256_loadu_ps(reinterpret_cast<const float*>(base + i * w.cols));
        Transpose8(col[g]);  // dword j = the bf16 pair (k + 2j, k + 2j + 1) of each row
      }
      for (int j = 0; j < 8; ++j)
        for (int g = 0; g < kGroups; ++g) {
          const __m256i v = _mm256_castps_si256(col[g][j]);
          ChainStep<T>(acc, a, k0 + k + 2 * j, g, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
          ChainStep<T>(acc, a, k0 + k + 2 * j + 1, g,
                       _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32(static_cast<int>(0xffff0000u)))));
        }
    }
  }
  if (full) {
    for (; k + 8 <= kc; k += 8) {
      for (int g = 0; g < kGroups; ++g) {
        for (int i = 0; i < 8; ++i) col[g][i] = LoadW8(w, n + 8 * g + i, k0 + k, 8);
        Transpose8(col[g]);
      }
      for (int j = 0; j < 8; ++j)
        for (int g = 0; g < kGroups; ++g) ChainStep<T>(acc, a, k0 + k + j, g, col[g][j]);
    }
  }
  for (; k < kc; ++k)
    for (int g = 0; g < kGroups; ++g) {
      alignas(32) float c[8];
      for (int64_t i = 0; i < 8; ++i) c[i] = n + 8 * g + i < w.rows ? ScalarWeight(w, n + 8 * g + i, k0 + k) : 0.0f;
      ChainStep<T>(acc, a, k0 + k, g, _mm256_load_ps(c));
    }
}

template <int T>
void GemvRows(const cpu::GemmArgs& a, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; n += kGroups * 8) {
    __m256 c[kGroups][T];
    for (int g = 0; g < kGroups; ++g)
      for (int t = 0; t < T; ++t) c[g][t] = _mm256_setzero_ps();
    for (int64_t k0 = 0; k0 < a.w->cols; k0 += kKc) {
      __m256 acc[kGroups][T];
      for (int g = 0; g < kGroups; ++g)
        for (int t = 0; t < T; ++t) acc[g][t] = _mm256_setzero_ps();
      GemvBlock<T>(a, n, k0, Min(kKc, a.w->cols - k0), acc);
      for (int g = 0; g < kGroups; ++g)
        for (int t = 0; t < T; ++t) c[g][t] = k0 == 0 ? acc[g][t] : _mm256_add_ps(acc[g][t], c[g][t]);
    }
    for (int g = 0; g < kGroups; ++g) {
      const int64_t left = Min(n1, a.w->rows) - (n + 8 * g);
      if (left <= 0) break;
      for (int t = 0; t < T; ++t) _mm256_maskstore_ps(a.y + t * a.ldy + n + 8 * g, Mask8(left), c[g][t]);
    }
  }
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
        for (int64_t m = 0; m < mr; ++m) std::memcpy(ap + m * kKc, a.x + (t + m) * a.ldx + k0, kc * sizeof(float));
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

}  // namespace haloguard::kernels::avx2
