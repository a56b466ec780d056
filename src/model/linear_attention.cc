// Gated DeltaNet mixer (mirrors transformers Qwen3_5GatedDeltaNet.forward; reference spec §4):
// in_proj_qkv -> causal conv1d + SiLU -> L2-norm q/k (q / sqrt(Dk)) -> gated delta rule with
// beta = sigmoid(b), g = -exp(A_log) * softplus(a + dt_bias) -> gated RMSNorm with z -> out_proj.
#include <cmath>

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

// Per-sequence inputs of the delta rule: conv (continuing the sequence's conv state), L2 norms,
// gates. u [N, C] receives q | k | v after the conv; beta, g [N, Hv] from b, a [N, Hv].
void PrepareSequence(const BlockContext& bc, const LinearAttentionWeights& w, int64_t L,
                     const SeqSlice& s, const float* m, const float* b, const float* a, float* u,
                     float* beta, float* g) {
  const TextConfig& c = bc.c;
  const int64_t C = c.linear_conv_dim(), Hk = c.linear_num_key_heads, Hv = c.linear_num_value_heads;
  const int64_t Dk = c.linear_key_head_dim, key_dim = c.linear_key_dim();
  float* conv_state = s.state->conv_state(L);
  float* us = u + s.row0 * C;
  kernels::CausalConv1dSilu(bc.pool, m + s.row0 * C, s.T, C, conv_state, w.conv.data(),
                            c.linear_conv_kernel_dim, us, s.commit ? conv_state : nullptr);
  // l2norm(q) / sqrt(Dk) and l2norm(k), per head, eps 1e-6 on the sum of squares (HF l2norm).
  ParallelRows(bc.pool, s.T, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      kernels::L2NormRows(us + t * C, Hk, Dk, Dk, 1e-6f, 1.0f / std::sqrt(static_cast<float>(Dk)));
      kernels::L2NormRows(us + t * C + key_dim, Hk, Dk, Dk, 1e-6f, 1.0f);
    }
  });
  const int64_t r = s.row0 * Hv;
  Gates(w, b + r, a + r, s.T, Hv, beta + r, g + r);
}

}  // namespace

int64_t LinearAttentionScratchFloats(const TextConfig& c, int64_t N) {
  const int64_t C = c.linear_conv_dim(), Vd = c.linear_value_dim(), Hv = c.linear_num_value_heads;
  return N * (2 * C + 2 * Vd + 4 * Hv);  // m, u, z, o, b, a, beta, g
}

void LinearAttentionBlock(const BlockContext& b, const LinearAttentionWeights& w, int64_t L,
                          const float* x, kernels::DeltaRuleForm form, float* scratch, float* out) {
  const TextConfig& c = b.c;
  const int64_t N = b.N, C = c.linear_conv_dim(), Hk = c.linear_num_key_heads;
  const int64_t Hv = c.linear_num_value_heads, Dk = c.linear_key_head_dim;
  const int64_t Dv = c.linear_value_head_dim, key_dim = c.linear_key_dim(), Vd = c.linear_value_dim();
  float* m = scratch;             // [N, C] "mixed_qkv"
  float* u = m + N * C;           // [N, C] after conv + SiLU + norms
  float* z = u + N * C;           // [N, Vd]
  float* o = z + N * Vd;          // [N, Vd]
  float* bgate = o + N * Vd;       // [N, Hv] in_proj_b output
  float* agate = bgate + N * Hv;   // [N, Hv] in_proj_a output
  float* beta = agate + N * Hv;    // [N, Hv]
  float* g = beta + N * Hv;        // [N, Hv]
  {
    StageTimer t(b.profile, &ForwardProfile::matmul);
    Project(b, x, N, w.in_proj_qkv, m);
    Project(b, x, N, w.in_proj_z, z);
    Project(b, x, N, w.in_proj_b, bgate);
    Project(b, x, N, w.in_proj_a, agate);
  }
  for (const SeqSlice& s : b.seqs) {
    {
      StageTimer t(b.profile, &ForwardProfile::mixer_prep);
      PrepareSequence(b, w, L, s, m, bgate, agate, u, beta, g);
    }
    StageTimer t(b.profile, &ForwardProfile::delta_rule);
    float* S = s.state->recurrent_state(L);
    float* us = u + s.row0 * C;
    kernels::GatedDeltaRule(b.pool, us, us + key_dim, C, us + 2 * key_dim, C, g + s.row0 * Hv,
                            beta + s.row0 * Hv, s.T, Hk, Hv, Dk, Dv, S, s.commit ? S : nullptr,
                            o + s.row0 * Vd, form);
  }
  {
    // Qwen3_5RMSNormGated per value head (one [Dv] weight shared by all heads), then out_proj.
    StageTimer t(b.profile, &ForwardProfile::other);
    ParallelRows(b.pool, N * Hv, 64, [&](int64_t r0, int64_t r1) {
      kernels::GatedRmsNorm(o + r0 * Dv, z + r0 * Dv, r1 - r0, Dv, w.norm.data(),
                            static_cast<float>(c.rms_norm_eps), o + r0 * Dv);
    });
  }
  StageTimer t(b.profile, &ForwardProfile::matmul);
  Project(b, o, N, w.out_proj, out);
}

}  // namespace haloguard::model::internal
