// Internal: the AVX-512 matrix-multiplication entry points that target_avx512.cc puts in its
// OpTable (contracts: cpu/ops.h). Declared here so that the ISA-neutral build sees no intrinsics.
#pragma once

#include <cstdint>

#include "kernels/cpu/ops.h"

namespace haloguard::kernels::avx512 {

inline constexpr int64_t kGemmMr = 14;
inline constexpr int64_t kGemmNc = 256;
inline constexpr int64_t kGemmScratchFloats = 256 * 256 + 14 * 256;
inline constexpr int64_t kGemvMaxRows = 4;

void Gemm(const cpu::GemmArgs& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, float* scratch);
void Gemv(const cpu::GemmArgs& a, int64_t T, int64_t n0, int64_t n1);

// Int8 (needs AVX512-VNNI; gemm_int8_vnni.cc).
inline constexpr int64_t kInt8Mr = 14;
void QuantizeRows(const float* x, int64_t T, int64_t K, int64_t ldx, uint8_t* xu, float* sx);
void GemmInt8(const cpu::Int8Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1);

}  // namespace haloguard::kernels::avx512
