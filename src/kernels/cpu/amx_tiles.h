// Internal: the tile configuration every AMX kernel uses (gemm_int8_amx.cc, gemm_bf16_amx.cc;
// the bench's peak loops): palette 1, tiles 0-7 all 16 rows x 64 bytes. Plain data, no intrinsics.
#pragma once

#include <cstdint>

namespace haloguard::kernels::cpu {

// ldtilecfg's 64-byte operand.
struct alignas(64) AmxTileConfig {
  uint8_t palette = 1, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {64, 64, 64, 64, 64, 64, 64, 64};
  uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};

}  // namespace haloguard::kernels::cpu
