// Gated DeltaNet mixer (mirrors transformers Qwen3_5GatedDeltaNet.forward; reference spec §4):
// in_proj_qkv -> causal conv1d + SiLU -> L2-norm q/k (q / sqrt(Dk)) -> gated delta rule with
// beta = sigmoid(b), g = -exp(A_log) * softplus(a + dt_bias) -> gated RMSNorm with z -> out_proj.
#include <cmath>
#include <vector>

#include "kernels/kernels.h"
#include "model/layers.h"

namespace haloguard::model::internal {
namespace {

// torch.nn.functional.softplus with beta=1, threshold=20.
inline float Softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }

// beta [T, Hv] = sigmoid(b); g [T, Hv] = neg_a * softplus(a + dt_bias).
void Gates(const LinearAttentionWeights& w, const float* b, const float* a, int64_t T, int64_t Hv,
           float* beta, float* g) {
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < Hv; ++n) {
      const int64_t i = t * Hv + n;
      beta[i] = 1.0f / (1.0f + std::exp(-b[i]));
      g[i] = w.neg_a[n] * Softplus(a[i] + w.dt_bias[n]);
    }
}

}  // namespace

void LinearAttentionBlock(ThreadPool& pool, const TextConfig& c, const LinearAttentionWeights& w,
                          int64_t L, const std::vector<SeqSlice>& seqs, const float* x, int64_t N,
                          kernels::DeltaRuleForm form, float* out) {
  const int64_t C = c.linear_conv_dim(), K = c.linear_conv_kernel_dim;
  const int64_t Hk = c.linear_num_key_heads, Hv = c.linear_num_value_heads;
  const int64_t Dk = c.linear_key_head_dim, Dv = c.linear_value_head_dim;
  const int64_t key_dim = c.linear_key_dim(), value_dim = c.linear_value_dim();
  const float eps = static_cast<float>(c.rms_norm_eps);

  std::vector<float> m(N * C), z(N * value_dim), b(N * Hv), a(N * Hv);
  kernels::MatMul(pool, x, N, w.in_proj_qkv, m.data());  // [N, C] "mixed_qkv"
  kernels::MatMul(pool, x, N, w.in_proj_z, z.data());    // [N, Hv*Dv]
  kernels::MatMul(pool, x, N, w.in_proj_b, b.data());    // [N, Hv]
  kernels::MatMul(pool, x, N, w.in_proj_a, a.data());    // [N, Hv]

  std::vector<float> u(N * C), beta(N * Hv), g(N * Hv), o(N * value_dim);
  for (const SeqSlice& s : seqs) {
    float* conv_state = s.state->conv_state(L);
    float* S = s.state->recurrent_state(L);
    float* us = u.data() + s.row0 * C;
    kernels::CausalConv1dSilu(m.data() + s.row0 * C, s.T, C, conv_state, w.conv.data(), K, us,
                              s.commit ? conv_state : nullptr);
    // l2norm(q) / sqrt(Dk) and l2norm(k), per head, eps 1e-6 on the sum of squares (HF l2norm).
    for (int64_t t = 0; t < s.T; ++t) {
      kernels::L2NormRows(us + t * C, Hk, Dk, Dk, 1e-6f, 1.0f / std::sqrt(static_cast<float>(Dk)));
      kernels::L2NormRows(us + t * C + key_dim, Hk, Dk, Dk, 1e-6f, 1.0f);
    }
    Gates(w, b.data() + s.row0 * Hv, a.data() + s.row0 * Hv, s.T, Hv, beta.data() + s.row0 * Hv,
          g.data() + s.row0 * Hv);
    kernels::GatedDeltaRule(pool, us, us + key_dim, C, us + 2 * key_dim, C,
                            g.data() + s.row0 * Hv, beta.data() + s.row0 * Hv, s.T, Hk, Hv, Dk,
                            Dv, S, s.commit ? S : nullptr, o.data() + s.row0 * value_dim, form);
  }
  // Qwen3_5RMSNormGated per value head (one [Dv] weight shared by all heads), then out_proj.
  kernels::GatedRmsNorm(o.data(), z.data(), N * Hv, Dv, w.norm.data(), eps, o.data());
  kernels::MatMul(pool, o.data(), N, w.out_proj, out);
}

}  // namespace haloguard::model::internal
