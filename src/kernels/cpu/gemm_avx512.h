// Internal: the AVX-512 matrix-multiplication entry points that target_avx512.cc puts in its
// OpTable (contracts: cpu/ops.h). Declared here so that no other file needs the intrinsics.
#pragma once

#include <cstdint>

#include "kernels/cpu/ops.h"

namespace haloguard::kernels::avx512 {

// GEMM row tile and column block (the packed block kGemmNc x 256 fp32 is 256 KiB, for a 1 MiB L2).
inline constexpr int64_t kGemmMr = 14;
inline constexpr int64_t kGemmNc = 256;
// Sets the gemm / gemv entries of `t` (gemm-inl.h).
void FillGemmOps(cpu::OpTable& t);

// Int8 (needs AVX512-VNNI; gemm_int8_vnni.cc).
inline constexpr int64_t kInt8Mr = 14;
void QuantizeRows(const float* x, int64_t T, int64_t K, int64_t ldx, uint8_t* xu, float* sx);
void GemmInt8(const cpu::Int8Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1);
// The same on AMX-INT8 tiles, bit-identical (needs AMX enabled for the process and
// RoundUp(K, 4) % 64 == 0, see GemmInt8AmxFits; gemm_int8_amx.cc). Reads up to 31 activation
// rows past t1 (their outputs are discarded): the caller pads xu.
bool GemmInt8AmxFits(int64_t K);
void GemmInt8Amx(const cpu::Int8Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1);

}  // namespace haloguard::kernels::avx512
