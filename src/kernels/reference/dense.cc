// Reference dense ops: matmul (exact and int8), row-selected matmul, embedding lookup, norms,
// SiLU / sigmoid gating.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/bf16.h"
#include "kernels/reference/reference.h"

namespace haloguard::kernels::ref {

float LoadWeight(const WeightMatrix& w, int64_t row, int64_t col) {
  const int64_t i = row * w.cols + col;
  switch (w.dtype) {
    case DType::kBF16: return Bf16ToF32(static_cast<const uint16_t*>(w.data)[i]);
    case DType::kF16: return F16ToF32(static_cast<const uint16_t*>(w.data)[i]);
    default: return static_cast<const float*>(w.data)[i];
  }
}

void MatMul(const float* x, int64_t T, const WeightMatrix& w, float* y) {
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < w.rows; ++n) {
      float acc = 0;
      for (int64_t k = 0; k < w.cols; ++k) acc += x[t * w.cols + k] * LoadWeight(w, n, k);
      y[t * w.rows + n] = acc;
    }
}

void MatMulRows(const float* x, int64_t T, const WeightMatrix& w, std::span<const int32_t> rows,
                float* y) {
  const int64_t R = static_cast<int64_t>(rows.size());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t r = 0; r < R; ++r) {
      float acc = 0;
      for (int64_t k = 0; k < w.cols; ++k) acc += x[t * w.cols + k] * LoadWeight(w, rows[r], k);
      y[t * R + r] = acc;
    }
}

void Embed(const WeightMatrix& table, std::span<const int32_t> ids, float* out) {
  for (size_t i = 0; i < ids.size(); ++i)
    for (int64_t d = 0; d < table.cols; ++d) out[i * table.cols + d] = LoadWeight(table, ids[i], d);
}

void RmsNorm(const float* x, int64_t rows, int64_t D, const float* scale, float eps, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    float ss = 0;
    for (int64_t d = 0; d < D; ++d) ss += x[r * D + d] * x[r * D + d];
    const float inv = 1.0f / std::sqrt(ss / static_cast<float>(D) + eps);
    for (int64_t d = 0; d < D; ++d) out[r * D + d] = x[r * D + d] * inv * scale[d];
  }
}

static float Silu(float v) { return v / (1.0f + std::exp(-v)); }

void GatedRmsNorm(const float* x, const float* z, int64_t rows, int64_t D, const float* w,
                  float eps, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    float ss = 0;
    for (int64_t d = 0; d < D; ++d) ss += x[r * D + d] * x[r * D + d];
    const float inv = 1.0f / std::sqrt(ss / static_cast<float>(D) + eps);
    for (int64_t d = 0; d < D; ++d)
      out[r * D + d] = w[d] * (x[r * D + d] * inv) * Silu(z[r * D + d]);
  }
}

void L2NormRows(float* x, int64_t rows, int64_t D, int64_t row_stride, float eps, float scale) {
  for (int64_t r = 0; r < rows; ++r) {
    float* v = x + r * row_stride;
    float ss = 0;
    for (int64_t d = 0; d < D; ++d) ss += v[d] * v[d];
    const float f = scale / std::sqrt(ss + eps);
    for (int64_t d = 0; d < D; ++d) v[d] *= f;
  }
}

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = Silu(gate[i]) * up[i];
}

void AddRmsNorm(float* h, const float* y, int64_t rows, int64_t D, const float* scale, float eps,
                float* out) {
  for (int64_t i = 0; i < rows * D; ++i) h[i] += y[i];
  RmsNorm(h, rows, D, scale, eps, out);
}

void SigmoidMul(const float* x, const float* gate, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * (1.0f / (1.0f + std::exp(-gate[i])));
}

float QuantizeRow(const float* x, int64_t K, int8_t* xq) {
  float amax = 0;
  for (int64_t k = 0; k < K; ++k) amax = std::max(amax, std::fabs(x[k]));
  const float inv = amax > 0 ? 127.0f / amax : 1.0f;
  for (int64_t k = 0; k < K; ++k) xq[k] = static_cast<int8_t>(std::clamp(std::nearbyint(x[k] * inv), -127.0f, 127.0f));
  return amax > 0 ? amax / 127.0f : 1.0f;
}

void MatMulInt8(const float* x, int64_t T, const QuantizedMatrix& q, float* y) {
  std::vector<int8_t> xq(q.cols);
  for (int64_t t = 0; t < T; ++t) {
    const float sx = QuantizeRow(x + t * q.cols, q.cols, xq.data());
    for (int64_t n = 0; n < q.rows; ++n) {
      int64_t acc = 0;
      for (int64_t k = 0; k < q.cols; ++k) acc += int64_t{xq[k]} * q.At(n, k);
      y[t * q.rows + n] = (sx * q.scale[n]) * static_cast<float>(acc);
    }
  }
}

void MatMulBf16(const float* x, int64_t T, const WeightMatrix& w, float* y) {
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < w.rows; ++n) {
      double acc = 0;
      for (int64_t k = 0; k < w.cols; ++k)
        acc += double(Bf16ToF32(F32ToBf16(x[t * w.cols + k]))) * LoadWeight(w, n, k);
      y[t * w.rows + n] = static_cast<float>(acc);
    }
}

}  // namespace haloguard::kernels::ref
