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
inline __m512 F16Load(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
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
// 14 rows that never alias in L1 (x's own stride is often a multiple of 4 KiB). A vector loop:
// memcpy of these 1 KiB rows compiles to `rep movs`, several times slower here.
void PackA(const float* x, int64_t ldx, int64_t mr, int64_t kc, float* ap) {
  for (int64_t m = 0; m < mr; ++m) {
    const float* src = x + m * ldx;
    float* dst = ap + m * kKc;
    int64_t k = 0;
    for (; k + 16 <= kc; k += 16) _mm512_storeu_ps(dst + k, _mm512_loadu_ps(src + k));
    if (k < kc) {
      const __mmask16 mk = static_cast<__mmask16>((1u << (kc - k)) - 1);
      _mm512_mask_storeu_ps(dst + k, mk, _mm512_maskz_loadu_ps(mk, src + k));
    }
  }
}

// Prefetches, a slice at a time, the weight block the next PackB will read: its rows are short
// (kKc columns) and 2-7 KiB apart, too short for the hardware stream prefetcher, so without this
// packing waits on DRAM latency.
class BlockPrefetcher {
 public:
  BlockPrefetcher(const WeightMatrix& w, int64_t n0, int64_t rows, int64_t k0, int64_t kc, int64_t slices)
      : base_(static_cast<const char*>(w.data) + (n0 * w.cols + k0) * static_cast<int64_t>(DTypeSize(w.dtype))),
        stride_(w.cols * static_cast<int64_t>(DTypeSize(w.dtype))),
        lines_per_row_((kc * static_cast<int64_t>(DTypeSize(w.dtype)) + 63) / 64),
        total_(rows > 0 ? rows * lines_per_row_ : 0),
        per_slice_(slices > 0 ? (total_ + slices - 1) / slices : total_) {}
  void Next() {
    for (int64_t end = Min(total_, done_ + per_slice_); done_ < end; ++done_) {
      _mm_prefetch(base_ + (done_ / lines_per_row_) * stride_ + (done_ % lines_per_row_) * 64, _MM_HINT_T1);
    }
  }

 private:
  const char* base_;
  int64_t stride_, lines_per_row_, total_, per_slice_, done_ = 0;
};

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

// ---- GEMV (T <= 4) ----
// Batch invariance: every output must come out bit-identical whichever path computes it (a
// verdict must not depend on what else shares the batch). So the GEMV reproduces the GEMM's
// arithmetic exactly: per output, a sequential FMA chain over k inside each kKc block, blocks
// added in order. Lanes are 16 output rows (W transposed in registers instead of packed);
// kGroups independent row groups hide the FMA latency of those chains.
constexpr int kGroups = 1;

// Columns [k, k + 16) of rows [n, n + 16) as 16 column vectors (rows past `rows_end` are 0).
inline void LoadColumns16(const WeightMatrix& w, int64_t n, int64_t rows_end, int64_t k, __m512 col[16]) {
  for (int i = 0; i < 16; ++i) {
    if (n + i >= rows_end) {
      col[i] = _mm512_setzero_ps();
      continue;
    }
    const int64_t off = (n + i) * w.cols + k;
    col[i] = w.dtype == DType::kF32    ? _mm512_loadu_ps(static_cast<const float*>(w.data) + off)
             : w.dtype == DType::kBF16 ? Bf16Load(static_cast<const uint16_t*>(w.data) + off)
                                       : F16Load(static_cast<const uint16_t*>(w.data) + off);
  }
  Transpose16(col);
}

template <int T>
inline void ChainStep(__m512 acc[kGroups][T], const cpu::GemmArgs& a, int64_t k, int g, __m512 wcol) {
  for (int t = 0; t < T; ++t) acc[g][t] = _mm512_fmadd_ps(_mm512_set1_ps(a.x[t * a.ldx + k]), wcol, acc[g][t]);
}

// acc[g][t] = chain over columns [k0, k0 + kc) for rows n + 16 g ...
template <int T>
void GemvBlock(const cpu::GemmArgs& a, int64_t n, int64_t k0, int64_t kc, __m512 acc[kGroups][T]) {
  const WeightMatrix& w = *a.w;
  __m512 col[kGroups][16];
  int64_t k = 0;
  if (w.dtype == DType::kBF16 && n + kGroups * 16 <= w.rows) {
    for (; k + 32 <= kc; k += 32) {
      for (int g = 0; g < kGroups; ++g) {
        const uint16_t* base = static_cast<const uint16_t*>(w.data) + (n + 16 * g) * w.cols + k0 + k;
        for (int i = 0; i < 16; ++i) col[g][i] = _mm512_loadu_ps(reinterpret_cast<const float*>(base + i * w.cols));
        Transpose16(col[g]);  // dword j = the bf16 pair (k + 2j, k + 2j + 1) of each row
      }
      for (int j = 0; j < 16; ++j)
        for (int g = 0; g < kGroups; ++g) {
          const __m512i v = _mm512_castps_si512(col[g][j]);
          ChainStep<T>(acc, a, k0 + k + 2 * j, g, _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)));
          ChainStep<T>(acc, a, k0 + k + 2 * j + 1, g,
                       _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32(static_cast<int>(0xffff0000u)))));
        }
    }
  }
  for (; k + 16 <= kc; k += 16) {
    for (int g = 0; g < kGroups; ++g) LoadColumns16(w, n + 16 * g, w.rows, k0 + k, col[g]);
    for (int j = 0; j < 16; ++j)
      for (int g = 0; g < kGroups; ++g) ChainStep<T>(acc, a, k0 + k + j, g, col[g][j]);
  }
  for (; k < kc; ++k)
    for (int g = 0; g < kGroups; ++g) {
      alignas(64) float c[16];
      for (int64_t i = 0; i < 16; ++i) c[i] = n + 16 * g + i < w.rows ? ScalarWeight(w, n + 16 * g + i, k0 + k) : 0.0f;
      ChainStep<T>(acc, a, k0 + k, g, _mm512_load_ps(c));
    }
}

template <int T>
void GemvRows(const cpu::GemmArgs& a, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; n += kGroups * 16) {
    __m512 c[kGroups][T];
    for (int g = 0; g < kGroups; ++g)
      for (int t = 0; t < T; ++t) c[g][t] = _mm512_setzero_ps();
    for (int64_t k0 = 0; k0 < a.w->cols; k0 += kKc) {
      __m512 acc[kGroups][T];
      for (int g = 0; g < kGroups; ++g)
        for (int t = 0; t < T; ++t) acc[g][t] = _mm512_setzero_ps();
      GemvBlock<T>(a, n, k0, Min(kKc, a.w->cols - k0), acc);
      for (int g = 0; g < kGroups; ++g)
        for (int t = 0; t < T; ++t) c[g][t] = k0 == 0 ? acc[g][t] : _mm512_add_ps(acc[g][t], c[g][t]);
    }
    for (int g = 0; g < kGroups; ++g) {
      const int64_t left = Min(n1, a.w->rows) - (n + 16 * g);
      if (left <= 0) break;
      const __mmask16 m = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1);
      for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(a.y + t * a.ldy + n + 16 * g, m, c[g][t]);
    }
  }
}

}  // namespace

void Gemm(const cpu::GemmArgs& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, float* scratch) {
  float* bp = scratch;
  float* ap = scratch + kNc * kKc;
  const int64_t K = a.w->cols;
  const int64_t tiles = (t1 - t0 + kMr - 1) / kMr;
  for (int64_t nb = n0; nb < n1; nb += kNc) {
    const int64_t nc = Min(kNc, n1 - nb);
    for (int64_t k0 = 0; k0 < K; k0 += kKc) {
      const int64_t kc = Min(kKc, K - k0);
      PackB(*a.w, nb, nc, k0, kc, bp);
      // The block after this one: same rows further right, or the next rows from column 0.
      const bool same_rows = k0 + kKc < K;
      const int64_t pn = same_rows ? nb : nb + kNc, pk = same_rows ? k0 + kKc : 0;
      BlockPrefetcher prefetch(*a.w, pn, Min(kNc, n1 - pn), pk, Min(kKc, K - pk), tiles);
      for (int64_t t = t0; t < t1; t += kMr) {
        const int64_t mr = Min(kMr, t1 - t);
        prefetch.Next();
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
