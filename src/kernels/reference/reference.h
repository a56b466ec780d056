// Scalar reference implementations of every op in kernels.h: plain loops, fp32 like the fast
// paths, written for obviousness. They are the spec the optimised kernels are tested against.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/kernels.h"

namespace haloguard::kernels::ref {

void MatMul(const float* x, int64_t T, const WeightMatrix& w, float* y);
void MatMulRows(const float* x, int64_t T, const WeightMatrix& w, std::span<const int32_t> rows,
                float* y);
void Embed(const WeightMatrix& table, std::span<const int32_t> ids, float* out);
void RmsNorm(const float* x, int64_t rows, int64_t D, const float* scale, float eps, float* out);
void GatedRmsNorm(const float* x, const float* z, int64_t rows, int64_t D, const float* w,
                  float eps, float* out);
void L2NormRows(float* x, int64_t rows, int64_t D, int64_t row_stride, float eps, float scale);
void SiluMul(const float* gate, const float* up, int64_t n, float* out);
void AddRmsNorm(float* h, const float* y, int64_t rows, int64_t D, const float* scale, float eps,
                float* out);
void SigmoidMul(const float* x, const float* gate, int64_t n, float* out);
void CausalConv1dSilu(const float* x, int64_t T, int64_t C, const float* state_in,
                      const float* w, int64_t K, float* out, float* state_out);
void RopeNeox(float* x, int64_t T, int64_t H, int64_t Dh, int64_t token_stride, int64_t R,
              const float* cos, const float* sin);
void Attention(const float* q, int64_t T, int64_t Nq, int64_t Dh, int64_t Nkv,
               const float* k_past, const float* v_past, int64_t P, const float* k_new,
               const float* v_new, float scale, float* out);
void GatedDeltaRuleRecurrent(const float* q, const float* k, int64_t ldqk, const float* v,
                             int64_t ldv, const float* g, const float* beta, int64_t T,
                             int64_t Hk, int64_t Hv, int64_t Dk, int64_t Dv,
                             const float* state_in, float* state_out, float* out);
void GatedDeltaRuleChunked(const float* q, const float* k, int64_t ldqk, const float* v,
                           int64_t ldv, const float* g, const float* beta, int64_t T, int64_t Hk,
                           int64_t Hv, int64_t Dk, int64_t Dv, const float* state_in,
                           float* state_out, float* out, int64_t chunk);

// Int8 mode (kernels.h MatMul with w.int8): xq[0:K] = round(x * 127 / max|x|) in [-127, 127],
// returns the row scale max|x| / 127 (1 for a zero row).
float QuantizeRow(const float* x, int64_t K, int8_t* xq);
// y[T, N] = (sx[t] * sw[n]) * float(sum_k xq[t, k] * wq[n, k]), wq read through q.At().
void MatMulInt8(const float* x, int64_t T, const QuantizedMatrix& q, float* y);

// Bf16 compute mode (kernels.h MatMul with w.bf16_compute): y[t, n] = float(sum_k
// bf16(x[t, k]) * w[n, k]) with bf16() the nearest-even rounding and the sum in float64.
void MatMulBf16(const float* x, int64_t T, const WeightMatrix& w, float* y);

// Reads element i of a stored weight row as fp32.
float LoadWeight(const WeightMatrix& w, int64_t row, int64_t col);

}  // namespace haloguard::kernels::ref
