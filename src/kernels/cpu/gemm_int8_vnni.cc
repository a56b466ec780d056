// AVX512-VNNI int8 GEMM for the --weights int8 mode: activations quantised per row to unsigned
// 8-bit (xq + 128), weights pre-packed signed 8-bit (QuantizedMatrix), vpdpbusd accumulating 64
// products per instruction exactly in int32. Compiled with the AVX-512 + VNNI flags.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/cpu/gemm_avx512.h"
#include "kernels/cpu/int8_dequant-inl.h"

namespace haloguard::kernels::avx512 {
namespace {

constexpr int64_t kMr = kInt8Mr, kNr = cpu::kInt8PanelRows;

inline int64_t Min(int64_t a, int64_t b) { return a < b ? a : b; }

// acc += u8 x s8 products (vpdpbusd). Inline asm ties the accumulator to one register: with the
// intrinsic, GCC 12 copies every accumulator through the stack on each step (measured 2.5x
// slower).
inline __m512i Dot4(__m512i acc, __m512i unsigned_bytes, __m512i signed_bytes) {
  asm("vpdpbusd %[s], %[u], %[acc]" : [acc] "+v"(acc) : [u] "v"(unsigned_bytes), [s] "v"(signed_bytes));
  return acc;
}

inline __m512i Broadcast4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Prefetches a contiguous byte range (a slice of the next weight panel) a few lines at a time,
// spread over a tile's k loop (Step every 8 groups), so the panel is in L2 before its first tile.
struct SlicePrefetch {
  const char* p = nullptr;
  int64_t left = 0, per_step = 0;  // bytes
  void Step() {
    for (int64_t b = 0; b < per_step && left > 0; b += 64, p += 64, left -= 64) _mm_prefetch(p, _MM_HINT_T1);
  }
};

// y[t:t+M, n:n+nr] = dequantised x_u[t:t+M, :] · wq[n:n+32, :]^T; the max |sum| is
// K * 255 * 127 < 2^31 for K < 66000, so int32 never overflows.
template <int M>
void Tile(const cpu::Int8Args& a, int64_t t, int64_t n, int64_t nr, SlicePrefetch& pf) {
  const int64_t K4 = cpu::RoundUp(a.K, 4), groups = K4 / 4;
  const int8_t* panel = a.wq + (n / kNr) * K4 * kNr;
  const uint8_t* x = a.xu + t * K4;
  __m512i acc0[M], acc1[M];
#pragma GCC unroll 14
  for (int m = 0; m < M; ++m) acc0[m] = acc1[m] = _mm512_setzero_si512();
  for (int64_t g = 0; g < groups; ++g) {
    if ((g & 7) == 0) pf.Step();
    const __m512i b0 = _mm512_loadu_si512(panel + g * 128), b1 = _mm512_loadu_si512(panel + g * 128 + 64);
#pragma GCC unroll 14
    for (int m = 0; m < M; ++m) {
      const __m512i av = Broadcast4(x + m * K4 + g * 4);
      acc0[m] = Dot4(acc0[m], av, b0);
      acc1[m] = Dot4(acc1[m], av, b1);
    }
  }
  const Int8Dequant dq(a, n, nr);
#pragma GCC unroll 14
  for (int m = 0; m < M; ++m) dq.Store(a, t + m, n, acc0[m], acc1[m]);
}

using TileFn = void (*)(const cpu::Int8Args&, int64_t, int64_t, int64_t, SlicePrefetch&);
constexpr TileFn kTiles[kMr + 1] = {nullptr,  Tile<1>,  Tile<2>,  Tile<3>,  Tile<4>,
                                    Tile<5>,  Tile<6>,  Tile<7>,  Tile<8>,  Tile<9>,
                                    Tile<10>, Tile<11>, Tile<12>, Tile<13>, Tile<14>};

}  // namespace

void QuantizeRows(const float* x, int64_t T, int64_t K, int64_t ldx, uint8_t* xu, float* sx) {
  const int64_t K4 = cpu::RoundUp(K, 4);
  for (int64_t t = 0; t < T; ++t) {
    const float* xr = x + t * ldx;
    __m512 mx = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 16) {
      const __mmask16 mk = K - k >= 16 ? 0xffff : static_cast<__mmask16>((1u << (K - k)) - 1);
      mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_maskz_loadu_ps(mk, xr + k)));
    }
    const float amax = _mm512_reduce_max_ps(mx);
    sx[t] = amax > 0.0f ? amax / 127.0f : 1.0f;
    const __m512 inv = _mm512_set1_ps(amax > 0.0f ? 127.0f / amax : 1.0f);
    uint8_t* out = xu + t * K4;
    for (int64_t k = 0; k < K4; k += 16) {
      const int64_t left = K - k;
      const __mmask16 mk = left >= 16 ? 0xffff : left > 0 ? static_cast<__mmask16>((1u << left) - 1) : 0;
      __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, xr + k), inv));
      q = _mm512_min_epi32(_mm512_max_epi32(q, _mm512_set1_epi32(-127)), _mm512_set1_epi32(127));
      q = _mm512_add_epi32(q, _mm512_set1_epi32(128));
      const __mmask16 ms = K4 - k >= 16 ? 0xffff : static_cast<__mmask16>((1u << (K4 - k)) - 1);
      // Lanes past K quantise 0 to 128, the zero point: they add 128 * 0 (zero weights).
      _mm_mask_storeu_epi8(out + k, ms, _mm512_cvtepi32_epi8(q));
    }
  }
}

// The task's rows are split into ceil(rows / kMr) tiles of near-equal height (57 rows: 12, 12,
// 11, 11, 11 rather than 4 x 14 + 1: a one-row tile is bound by the latency of its 2 vpdpbusd
// chains). Tasks of at most kPanelOuterRows rows run all their tiles against one weight panel,
// then the next, while each tile's k loop prefetches a slice of the next panel: at 32-64 rows the
// weights stream from memory, and without the prefetch the first tile of every panel waited for
// them (one thread, weights from memory: 57 rows 443 -> ~700 GOP/s vs 694 with the weights
// cache-resident). Larger tasks run each tile across all panels. Every row's sums are exact
// integers, so neither the split nor the order shows in the results.
constexpr int64_t kPanelOuterRows = 128;

void GemmInt8(const cpu::Int8Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1) {
  const int64_t rows = t1 - t0, tiles = (rows + kMr - 1) / kMr;
  if (tiles <= 0) return;
  const int64_t base = rows / tiles, extra = rows % tiles, K4 = cpu::RoundUp(a.K, 4);
  const int64_t panel_bytes = K4 * kNr, groups = K4 / 4;
  auto height = [&](int64_t i) { return base + (i < extra ? 1 : 0); };
  auto start = [&](int64_t i) { return t0 + i * base + Min(i, extra); };
  SlicePrefetch none;
  if (rows > kPanelOuterRows) {
    for (int64_t i = 0; i < tiles; ++i) {
      for (int64_t n = n0; n < n1; n += kNr) kTiles[height(i)](a, start(i), n, Min(kNr, n1 - n), none);
    }
    return;
  }
  // Each tile prefetches its share of the next panel: per_step bytes every 8 groups.
  const int64_t share = (panel_bytes / tiles + 63) / 64 * 64, steps = (groups + 7) / 8;
  for (int64_t n = n0; n < n1; n += kNr) {
    const char* next = n + kNr < n1 ? reinterpret_cast<const char*>(a.wq + (n / kNr + 1) * panel_bytes) : nullptr;
    for (int64_t i = 0; i < tiles; ++i) {
      SlicePrefetch pf;
      if (next != nullptr) {
        pf.p = next + i * share;
        pf.left = Min(share, panel_bytes - i * share);
        pf.per_step = (pf.left / steps + 63) / 64 * 64 + 64;
      }
      kTiles[height(i)](a, start(i), n, Min(kNr, n1 - n), pf);
    }
  }
}

}  // namespace haloguard::kernels::avx512
