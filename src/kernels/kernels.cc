// Dispatch: routes each op in kernels.h to its implementation. Today every op runs its reference
// twin, parallelised over independent rows/heads; optimised CPU paths plug in here.
#include "kernels/kernels.h"

#include <cmath>
#include <vector>

#include "kernels/reference/reference.h"

namespace haloguard::kernels {
namespace {

// View of rows [r0, r1) of a weight matrix.
WeightMatrix RowSlice(const WeightMatrix& w, int64_t r0, int64_t r1) {
  WeightMatrix s = w;
  s.data = static_cast<const uint8_t*>(w.data) + r0 * w.cols * static_cast<int64_t>(DTypeSize(w.dtype));
  s.rows = r1 - r0;
  return s;
}

}  // namespace

void MatMul(ThreadPool& pool, const float* x, int64_t T, const WeightMatrix& w, float* y) {
  // Split the output features; each task writes a column block of y through a temporary.
  pool.ParallelFor(0, w.rows, 16, [&](int64_t r0, int64_t r1, int) {
    const WeightMatrix part = RowSlice(w, r0, r1);
    std::vector<float> tmp(T * part.rows);
    ref::MatMul(x, T, part, tmp.data());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t r = 0; r < part.rows; ++r) y[t * w.rows + r0 + r] = tmp[t * part.rows + r];
  });
}

void MatMulRows(ThreadPool& pool, const float* x, int64_t T, const WeightMatrix& w,
                std::span<const int32_t> rows, float* y) {
  (void)pool;
  ref::MatMulRows(x, T, w, rows, y);
}

void Embed(const WeightMatrix& table, std::span<const int32_t> ids, float* out) {
  ref::Embed(table, ids, out);
}

void RmsNorm(const float* x, int64_t rows, int64_t D, const float* scale, float eps, float* out) {
  ref::RmsNorm(x, rows, D, scale, eps, out);
}

void GatedRmsNorm(const float* x, const float* z, int64_t rows, int64_t D, const float* w,
                  float eps, float* out) {
  ref::GatedRmsNorm(x, z, rows, D, w, eps, out);
}

void L2NormRows(float* x, int64_t rows, int64_t D, int64_t row_stride, float eps, float scale) {
  ref::L2NormRows(x, rows, D, row_stride, eps, scale);
}

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  ref::SiluMul(gate, up, n, out);
}

void CausalConv1dSilu(const float* x, int64_t T, int64_t C, const float* state_in,
                      const float* w, int64_t K, float* out, float* state_out) {
  ref::CausalConv1dSilu(x, T, C, state_in, w, K, out, state_out);
}

void RopeNeox(float* x, int64_t T, int64_t H, int64_t Dh, int64_t token_stride, int64_t R,
              const float* cos, const float* sin) {
  ref::RopeNeox(x, T, H, Dh, token_stride, R, cos, sin);
}

void RopeTables(int64_t T, int64_t pos0, int64_t R, double theta, float* cos, float* sin) {
  const int64_t half = R / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double inv_freq = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(R));
    for (int64_t t = 0; t < T; ++t) {
      const double angle = static_cast<double>(pos0 + t) * inv_freq;
      cos[t * half + i] = static_cast<float>(std::cos(angle));
      sin[t * half + i] = static_cast<float>(std::sin(angle));
    }
  }
}

void Attention(ThreadPool& pool, const float* q, int64_t T, int64_t Nq, int64_t Dh, int64_t Nkv,
               const float* k_past, const float* v_past, int64_t P, const float* k_new,
               const float* v_new, float scale, float* out) {
  (void)pool;
  ref::Attention(q, T, Nq, Dh, Nkv, k_past, v_past, P, k_new, v_new, scale, out);
}

void GatedDeltaRule(ThreadPool& pool, const float* q, const float* k, int64_t ldqk,
                    const float* v, int64_t ldv, const float* g, const float* beta, int64_t T,
                    int64_t Hk, int64_t Hv, int64_t Dk, int64_t Dv, const float* state_in,
                    float* state_out, float* out, DeltaRuleForm form) {
  (void)pool;
  if (form == DeltaRuleForm::kAuto) form = T == 1 ? DeltaRuleForm::kRecurrent : DeltaRuleForm::kChunked;
  if (form == DeltaRuleForm::kRecurrent) {
    ref::GatedDeltaRuleRecurrent(q, k, ldqk, v, ldv, g, beta, T, Hk, Hv, Dk, Dv, state_in,
                                 state_out, out);
  } else {
    ref::GatedDeltaRuleChunked(q, k, ldqk, v, ldv, g, beta, T, Hk, Hv, Dk, Dv, state_in,
                               state_out, out, /*chunk=*/64);
  }
}

}  // namespace haloguard::kernels
