// Internal: the AVX2 + FMA matrix-multiplication entry points that target_avx2.cc puts in its
// OpTable (contracts: cpu/ops.h).
#pragma once

#include <cstdint>

#include "kernels/cpu/ops.h"

namespace haloguard::kernels::avx2 {

inline constexpr int64_t kGemmMr = 6;
inline constexpr int64_t kGemmNc = 128;
inline constexpr int64_t kGemmScratchFloats = 128 * 256 + 6 * 256;
inline constexpr int64_t kGemvMaxRows = 4;

void Gemm(const cpu::GemmArgs& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, float* scratch);
void Gemv(const cpu::GemmArgs& a, int64_t T, int64_t n0, int64_t n1);

}  // namespace haloguard::kernels::avx2
