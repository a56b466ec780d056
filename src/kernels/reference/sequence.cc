// Reference sequence ops: causal conv1d, RoPE, causal GQA attention.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/reference/reference.h"

namespace haloguard::kernels::ref {

void CausalConv1dSilu(const float* x, int64_t T, int64_t C, const float* state_in,
                      const float* w, int64_t K, float* out, float* state_out) {
  // X = [state_in (K-1 rows) | x (T rows)]; out[t] = silu(sum_j w[:, j] * X[t + j]).
  auto X = [&](int64_t row, int64_t c) -> float {
    if (row < K - 1) return state_in ? state_in[row * C + c] : 0.0f;
    return x[(row - (K - 1)) * C + c];
  };
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < C; ++c) {
      float acc = 0;
      for (int64_t j = 0; j < K; ++j) acc += w[c * K + j] * X(t + j, c);
      out[t * C + c] = acc / (1.0f + std::exp(-acc));
    }
  if (state_out == nullptr) return;
  std::vector<float> next((K - 1) * C);
  for (int64_t r = 0; r < K - 1; ++r)
    for (int64_t c = 0; c < C; ++c) next[r * C + c] = X(T + r, c);
  std::copy(next.begin(), next.end(), state_out);
}

void RopeNeox(float* x, int64_t T, int64_t H, int64_t Dh, int64_t token_stride, int64_t R,
              const float* cos, const float* sin) {
  const int64_t half = R / 2;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h) {
      float* v = x + t * token_stride + h * Dh;
      for (int64_t i = 0; i < half; ++i) {
        const float a = v[i], b = v[i + half], c = cos[t * half + i], s = sin[t * half + i];
        v[i] = a * c - b * s;
        v[i + half] = b * c + a * s;
      }
    }
}

void Attention(const float* q, int64_t T, int64_t Nq, int64_t Dh, int64_t Nkv,
               const float* k_past, const float* v_past, int64_t P, const float* k_new,
               const float* v_new, float scale, float* out) {
  const int64_t group = Nq / Nkv;
  std::vector<float> p(P + T);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < Nq; ++h) {
      const int64_t g = h / group;
      const float* qv = q + (t * Nq + h) * Dh;
      const int64_t n = P + t + 1;
      auto key = [&](int64_t j) { return j < P ? k_past + (j * Nkv + g) * Dh : k_new + ((j - P) * Nkv + g) * Dh; };
      auto val = [&](int64_t j) { return j < P ? v_past + (j * Nkv + g) * Dh : v_new + ((j - P) * Nkv + g) * Dh; };
      float mx = -INFINITY;
      for (int64_t j = 0; j < n; ++j) {
        float s = 0;
        for (int64_t d = 0; d < Dh; ++d) s += qv[d] * key(j)[d];
        p[j] = s * scale;
        mx = std::max(mx, p[j]);
      }
      float sum = 0;
      for (int64_t j = 0; j < n; ++j) sum += (p[j] = std::exp(p[j] - mx));
      float* o = out + (t * Nq + h) * Dh;
      for (int64_t d = 0; d < Dh; ++d) o[d] = 0;
      for (int64_t j = 0; j < n; ++j)
        for (int64_t d = 0; d < Dh; ++d) o[d] += (p[j] / sum) * val(j)[d];
    }
}

}  // namespace haloguard::kernels::ref
