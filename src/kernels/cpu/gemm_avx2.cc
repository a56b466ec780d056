// AVX2 + FMA fp32 matrix multiplication: the shared GEMM/GEMV (gemm-inl.h) with 8-lane vectors
// and a 6x16 tile (12 ymm accumulators of 16). Compiled with the AVX2 flags.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/gemm_avx2.h"
#include "kernels/cpu/vec_avx2.h"

#define HG_TARGET avx2
#include "kernels/cpu/gemm-inl.h"
#undef HG_TARGET
