// Internal: the AVX2 + FMA matrix-multiplication entry points that target_avx2.cc puts in its
// OpTable (contracts: cpu/ops.h).
#pragma once

#include <cstdint>

#include "kernels/cpu/ops.h"

namespace haloguard::kernels::avx2 {

// GEMM row tile and column block (the packed block kGemmNc x 256 fp32 is 128 KiB).
inline constexpr int64_t kGemmMr = 6;
inline constexpr int64_t kGemmNc = 128;
// Sets the gemm / gemv entries of `t` (gemm-inl.h).
void FillGemmOps(cpu::OpTable& t);

}  // namespace haloguard::kernels::avx2
