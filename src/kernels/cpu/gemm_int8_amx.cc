// AMX-INT8 GEMM for the --weights int8 mode on CPUs with AMX (Intel Sapphire Rapids and later):
// the VNNI kernel's u8 x s8 products, summed exactly in int32 by tdpbusd on 16 x 64-byte tiles
// that are read straight from QuantizedMatrix's panels, then the same dequantisation, so the
// results are bit-identical to gemm_int8_vnni.cc. Compiled with the AVX-512 + AMX flags.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/amx_panel-inl.h"
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

// tdpbusd: u8 activations x s8 weights, exact int32 sums.
HG_AMX_DOT(DotInt8, _tile_dpbusd);

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
      // B: 16 k groups (64 k) per step, each group 128 bytes (outputs 0-15, then 16-31).
      const cpu::AmxPanel p{reinterpret_cast<const char*>(a.xu + r * K4), K4, K4 / 64,
                            reinterpret_cast<const char*>(panel), 16 * kNr * 4, 64, kNr * 4};
      cpu::AmxPanelRows<DotInt8>(p, rows, acc);
      Dequantise(a, r, rows, n, nr, acc);
    }
  }
  _tile_release();
}

}  // namespace haloguard::kernels::avx512
