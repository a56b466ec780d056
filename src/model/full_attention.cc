// Gated full attention (mirrors transformers Qwen3_5Attention.forward; reference spec §3):
// q_proj gives per head [Dh query | Dh gate]; q_norm/k_norm (zero-centred RMSNorm per head);
// partial NeoX RoPE; causal GQA softmax attention over the KV cache; output * sigmoid(gate);
// o_proj. The cache stores k after norm + RoPE and raw v.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "model/layers.h"

namespace haloguard::model::internal {

void FullAttentionBlock(ThreadPool& pool, const TextConfig& c, const FullAttentionWeights& w,
                        int64_t L, const std::vector<SeqSlice>& seqs, const float* x, int64_t N,
                        float* out) {
  const int64_t Nq = c.num_attention_heads, Nkv = c.num_key_value_heads, Dh = c.head_dim;
  const int64_t R = c.rotary_dim();
  const float eps = static_cast<float>(c.rms_norm_eps);

  std::vector<float> qg(N * Nq * 2 * Dh), k(N * Nkv * Dh), v(N * Nkv * Dh);
  kernels::MatMul(pool, x, N, w.q_proj, qg.data());  // [N, Nq, 2, Dh]
  kernels::MatMul(pool, x, N, w.k_proj, k.data());   // [N, Nkv, Dh]
  kernels::MatMul(pool, x, N, w.v_proj, v.data());   // [N, Nkv, Dh]

  // torch.chunk(q_proj(x).view(..., Nq, 2*Dh), 2, dim=-1): per head, query then gate.
  std::vector<float> q(N * Nq * Dh), gate(N * Nq * Dh);
  for (int64_t r = 0; r < N * Nq; ++r) {
    std::memcpy(&q[r * Dh], &qg[r * 2 * Dh], Dh * sizeof(float));
    std::memcpy(&gate[r * Dh], &qg[r * 2 * Dh + Dh], Dh * sizeof(float));
  }
  kernels::RmsNorm(q.data(), N * Nq, Dh, w.q_norm.data(), eps, q.data());
  kernels::RmsNorm(k.data(), N * Nkv, Dh, w.k_norm.data(), eps, k.data());

  std::vector<float> attn(N * Nq * Dh), cos_t, sin_t;
  for (const SeqSlice& s : seqs) {
    cos_t.resize(s.T * R / 2);
    sin_t.resize(s.T * R / 2);
    kernels::RopeTables(s.T, s.P, R, c.rope_theta, cos_t.data(), sin_t.data());
    float* qs = q.data() + s.row0 * Nq * Dh;
    float* ks = k.data() + s.row0 * Nkv * Dh;
    const float* vs = v.data() + s.row0 * Nkv * Dh;
    kernels::RopeNeox(qs, s.T, Nq, Dh, Nq * Dh, R, cos_t.data(), sin_t.data());
    kernels::RopeNeox(ks, s.T, Nkv, Dh, Nkv * Dh, R, cos_t.data(), sin_t.data());
    const float* k_new = ks;
    const float* v_new = vs;
    if (s.commit) {  // append to the cache, then attend over [past | new] in place
      float* kc = s.state->k_append_slot(L, s.T);
      float* vc = s.state->v_append_slot(L, s.T);
      std::memcpy(kc, ks, s.T * Nkv * Dh * sizeof(float));
      std::memcpy(vc, vs, s.T * Nkv * Dh * sizeof(float));
      k_new = kc;
      v_new = vc;
    }
    kernels::Attention(pool, qs, s.T, Nq, Dh, Nkv, s.state->k_cache(L), s.state->v_cache(L), s.P,
                       k_new, v_new, 1.0f / std::sqrt(static_cast<float>(Dh)),
                       attn.data() + s.row0 * Nq * Dh);
  }
  for (size_t i = 0; i < attn.size(); ++i) attn[i] *= 1.0f / (1.0f + std::exp(-gate[i]));
  kernels::MatMul(pool, attn.data(), N, w.o_proj, out);
}

}  // namespace haloguard::model::internal
