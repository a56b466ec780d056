// AVX-512 fp32 matrix multiplication: the shared GEMM/GEMV (gemm-inl.h) with 16-lane vectors and
// a 14x32 tile (28 zmm accumulators of 32). Compiled with the AVX-512 flags.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/gemm_avx512.h"
#include "kernels/cpu/vec_avx512.h"

#define HG_TARGET avx512
#include "kernels/cpu/gemm-inl.h"
#undef HG_TARGET
