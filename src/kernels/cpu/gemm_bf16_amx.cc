// bf16 compute mode on AMX-BF16 tiles (Intel Sapphire Rapids and later): y = x_bf16 · W_bf16^T,
// products exact in fp32 and summed in fp32 by tdpbf16ps, k ascending in 32-column steps. W is
// packed per 32-output panel into B tiles (16 k pairs x 16 outputs, one 16 x 16 dword transpose
// per tile) in a per-thread buffer. Every output's sum is independent of the batch and the task
// split. Compiled with the AVX-512 + AMX flags; reached only through dispatch.cc (cpu/ops.h).
// No std:: code here (docs/HOWTO-add-kernel.md): the packed panel lives in the driver's scratch.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/amx_panel-inl.h"
#include "kernels/cpu/amx_tiles.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/vec_avx512.h"

namespace haloguard::kernels::cpu {
namespace {

constexpr int64_t kPanel = 32;  // outputs per packed panel: two B tiles

// Tiles (cpu/amx_tiles.h): 0-3 accumulators C[2 * block + half] (16 rows x 16 fp32), 4-5 the
// activations of two 16-row blocks (16 rows x 32 bf16), 6-7 a panel's two B tiles.

// Packs outputs [n, n + 32) of W (zero from output n_end and past K) for all K32 / 32 steps:
// pack[step][half][p][j] = the bf16 pair (k = 32 step + 2p, +1) of output n + 16 half + j.
void PackPanel(const Bf16Args& a, int64_t n_end, int64_t n, uint16_t* pack) {
  for (int64_t k = 0; k < a.K32; k += 32) {
    const __mmask32 m = a.K - k >= 32 ? ~__mmask32{0} : a.K > k ? (__mmask32{1} << (a.K - k)) - 1 : 0;
    for (int half = 0; half < 2; ++half) {
      __m512 r[16];  // 16 dwords (bf16 pairs) of 16 rows, as float bit patterns
      for (int j = 0; j < 16; ++j) {
        const int64_t row = n + 16 * half + j;
        r[j] = _mm512_castsi512_ps(row < n_end ? _mm512_maskz_loadu_epi16(m, a.w + row * a.K + k) : _mm512_setzero_si512());
      }
      avx512::Vec::Transpose(r);  // r[p] = dword p (the k pair) of the 16 rows
      uint16_t* dst = pack + (k / 32 * 2 + half) * 512;
      for (int p = 0; p < 16; ++p) _mm512_store_ps(dst + p * 32, r[p]);
    }
  }
}

// tdpbf16ps: bf16 pairs, exact products summed in fp32.
HG_AMX_DOT(DotBf16, _tile_dpbf16ps);

}  // namespace

void GemmBf16Amx(const Bf16Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, void* scratch) {
  auto* pack = static_cast<uint16_t*>(scratch);  // [K32 / 32][2][16][32] bf16, the panel's B tiles
  alignas(64) float acc[32][kPanel];
  const AmxTileConfig config;
  _tile_loadconfig(&config);
  for (int64_t n = n0; n < n1; n += kPanel) {
    const int64_t nr = n1 - n < kPanel ? n1 - n : kPanel;
    PackPanel(a, n1, n, pack);
    for (int64_t r = t0; r < t1; r += 32) {
      const int64_t rows = t1 - r < 32 ? t1 - r : 32;
      // A: 32 bf16 per step; B: two packed 1 KiB tiles per step, 64-byte rows.
      const AmxPanel p{reinterpret_cast<const char*>(a.xb + r * a.K32), a.K32 * 2, a.K32 / 32,
                       reinterpret_cast<const char*>(pack), 2048, 1024, 64};
      AmxPanelRows<DotBf16>(p, rows, acc);
      const __mmask16 k0 = nr >= 16 ? 0xffff : static_cast<__mmask16>((1u << nr) - 1);
      const __mmask16 k1 = nr >= 32 ? 0xffff : nr > 16 ? static_cast<__mmask16>((1u << (nr - 16)) - 1) : 0;
      for (int64_t m = 0; m < rows; ++m) {
        float* yr = a.y + (r + m) * a.ldy + n;
        _mm512_mask_storeu_ps(yr, k0, _mm512_load_ps(acc[m]));
        _mm512_mask_storeu_ps(yr + 16, k1, _mm512_load_ps(acc[m] + 16));
      }
    }
  }
  _tile_release();
}

}  // namespace haloguard::kernels::cpu
