// AMX-INT8 GEMM for the --weights int8 mode on CPUs with AMX (Intel Sapphire Rapids and later):
// the VNNI kernel's u8 x s8 products, summed exactly in int32 by tdpbusd on 16 x 64-byte tiles
// that are read straight from QuantizedMatrix's panels, then the same dequantisation, so the
// results are bit-identical to gemm_int8_vnni.cc. Compiled with the AVX-512 + AMX flags.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/amx_tiles.h"
#include "kernels/cpu/gemm_avx512.h"
#include "kernels/cpu/int8_dequant-inl.h"

namespace haloguard::kernels::avx512 {
namespace {

constexpr int64_t kNr = cpu::kInt8PanelRows;  // 32 outputs per panel = two 16-column tiles
static_assert(kNr == 32, "a panel is two B tiles wide");

// Tiles (cpu/amx_tiles.h): 0-3 accumulators C[2 * block + half], 4-5 the activations of two
// 16-row blocks (64 k bytes per row), 6-7 the two 16-output halves of a panel (a row is one
// 4-byte k group of 16 outputs).

// y rows [t, t + rows) x outputs [n, n + nr) from the int32 sums acc[row][0..32), with the VNNI
// kernel's epilogue.
void Dequantise(const cpu::Int8Args& a, int64_t t, int64_t rows, int64_t n, int64_t nr,
                const int32_t (*acc)[kNr]) {
  const Int8Dequant dq(a, n, nr);
  for (int64_t m = 0; m < rows; ++m)
    dq.Store(a, t + m, n, _mm512_loadu_si512(acc[m]), _mm512_loadu_si512(acc[m] + 16));
}

// Sums of one panel (B tiles at `panel`, 128 bytes per k group) against activation rows
// [r, r + 16 * kBlocks) into acc [16 * kBlocks][32]. K4 % 64 == 0.
template <int kBlocks>
void PanelBlocks(const uint8_t* x, int64_t K4, const int8_t* panel, int32_t (*acc)[kNr]) {
  _tile_zero(0);
  _tile_zero(1);
  if constexpr (kBlocks == 2) {
    _tile_zero(2);
    _tile_zero(3);
  }
  for (int64_t k = 0; k < K4; k += 64) {
    const int8_t* b = panel + k / 4 * kNr * 4;  // 16 k groups of 128 bytes
    _tile_loadd(6, b, kNr * 4);
    _tile_loadd(7, b + 64, kNr * 4);
    _tile_loadd(4, x + k, K4);
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    if constexpr (kBlocks == 2) {
      _tile_loadd(5, x + 16 * K4 + k, K4);
      _tile_dpbusd(2, 5, 6);
      _tile_dpbusd(3, 5, 7);
    }
  }
  // C tile (block i, half j) -> acc rows 16 i .., columns 16 j ..
  _tile_stored(0, acc[0], kNr * 4);
  _tile_stored(1, acc[0] + 16, kNr * 4);
  if constexpr (kBlocks == 2) {
    _tile_stored(2, acc[16], kNr * 4);
    _tile_stored(3, acc[16] + 16, kNr * 4);
  }
}

}  // namespace

bool GemmInt8AmxFits(int64_t K) { return cpu::RoundUp(K, 4) % 64 == 0; }

void GemmInt8Amx(const cpu::Int8Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1) {
  const int64_t K4 = cpu::RoundUp(a.K, 4);
  alignas(64) int32_t acc[32][kNr];
  const cpu::AmxTileConfig config;
  _tile_loadconfig(&config);
  // Panel outer: a panel (K4 x 32 bytes) stays in L1/L2 while every row block uses it.
  for (int64_t n = n0; n < n1; n += kNr) {
    const int8_t* panel = a.wq + (n / kNr) * K4 * kNr;
    const int64_t nr = n1 - n < kNr ? n1 - n : kNr;
    for (int64_t r = t0; r < t1; r += 32) {
      const int64_t rows = t1 - r < 32 ? t1 - r : 32;
      if (rows > 16) PanelBlocks<2>(a.xu + r * K4, K4, panel, acc); else PanelBlocks<1>(a.xu + r * K4, K4, panel, acc);
      Dequantise(a, r, rows, n, nr, acc);
    }
  }
  _tile_release();
}

}  // namespace haloguard::kernels::avx512
