// The AMX kernels' inner loop (gemm_int8_amx.cc, gemm_bf16_amx.cc): one 32-output panel against
// one or two 16-row activation blocks, k in 64-byte tile steps, into a [16 kBlocks][32] 4-byte
// accumulator block. Include only from translation units compiled with the AMX flags of `Dot`.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace haloguard::kernels::cpu {

// A Dot for AmxPanelBlocks from a tile instruction macro (_tile_dpbusd, _tile_dpbf16ps): GCC's
// macros paste their tile numbers into the asm text, so they must be literals, not template
// arguments.
#define HG_AMX_DOT(NAME, INSN)                \
  struct NAME {                               \
    static void C0() { INSN(0, 4, 6); }       \
    static void C1() { INSN(1, 4, 7); }       \
    static void C2() { INSN(2, 5, 6); }       \
    static void C3() { INSN(3, 5, 7); }       \
  }

// Where the operands are. A: activation rows `lda` bytes apart, step s at a + 64 s. B: step s's
// two tiles (outputs 0-15, 16-31) at b + s * b_step and + b_half, rows b_stride bytes apart.
struct AmxPanel {
  const char* a;
  int64_t lda, steps;
  const char* b;
  int64_t b_step, b_half, b_stride;
};

// Tiles (amx_tiles.h): 0-3 accumulators C[2 * block + half], 4-5 the activation blocks, 6-7 the
// panel's two B tiles. `Dot` (HG_AMX_DOT) issues the tile dot product into each accumulator.
template <class Dot, int kBlocks>
inline void AmxPanelBlocks(const AmxPanel& p, void* acc) {
  static_assert(kBlocks == 1 || kBlocks == 2, "one or two 16-row blocks");
  _tile_zero(0);
  _tile_zero(1);
  if constexpr (kBlocks == 2) {
    _tile_zero(2);
    _tile_zero(3);
  }
  for (int64_t s = 0; s < p.steps; ++s) {
    const char* b = p.b + s * p.b_step;
    _tile_loadd(6, b, p.b_stride);
    _tile_loadd(7, b + p.b_half, p.b_stride);
    _tile_loadd(4, p.a + 64 * s, p.lda);
    Dot::C0();
    Dot::C1();
    if constexpr (kBlocks == 2) {
      _tile_loadd(5, p.a + 16 * p.lda + 64 * s, p.lda);
      Dot::C2();
      Dot::C3();
    }
  }
  // C tile (block i, half j) -> rows 16 i .., columns 16 j .. of the [.][32] block (128-byte rows).
  char* c = static_cast<char*>(acc);
  _tile_stored(0, c, 128);
  _tile_stored(1, c + 64, 128);
  if constexpr (kBlocks == 2) {
    _tile_stored(2, c + 16 * 128, 128);
    _tile_stored(3, c + 16 * 128 + 64, 128);
  }
}

// Both block counts: rows (1..32) of activations from p.a.
template <class Dot>
inline void AmxPanelRows(const AmxPanel& p, int64_t rows, void* acc) {
  if (rows > 16) AmxPanelBlocks<Dot, 2>(p, acc); else AmxPanelBlocks<Dot, 1>(p, acc);
}

}  // namespace haloguard::kernels::cpu
