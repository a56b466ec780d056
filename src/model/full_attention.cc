// Gated full attention (mirrors transformers Qwen3_5Attention.forward; reference spec §3):
// q_proj gives per head [Dh query | Dh gate]; q_norm/k_norm (zero-centred RMSNorm per head);
// partial NeoX RoPE; causal GQA softmax attention over the KV cache; output * sigmoid(gate);
// o_proj. The cache stores k after norm + RoPE and raw v.
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"
#include "model/layers.h"

namespace haloguard::model::internal {
namespace {

// RoPE for one sequence's rows, the cache append (committed sequences), and attention over
// [cache | new].
void AttendSequence(const BlockContext& b, int64_t L, const SeqSlice& s, float* q, float* k,
                    const float* v, float* attn) {
  const TextConfig& c = b.c;
  const int64_t Nq = c.num_attention_heads, Nkv = c.num_key_value_heads, Dh = c.head_dim;
  const int64_t R = c.rotary_dim();
  const float* cos_t = b.rope + s.row0 * R;
  const float* sin_t = cos_t + s.T * R / 2;
  float* qs = q + s.row0 * Nq * Dh;
  float* ks = k + s.row0 * Nkv * Dh;
  const float* vs = v + s.row0 * Nkv * Dh;
  kernels::RopeNeox(qs, s.T, Nq, Dh, Nq * Dh, R, cos_t, sin_t);
  kernels::RopeNeox(ks, s.T, Nkv, Dh, Nkv * Dh, R, cos_t, sin_t);
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
  kernels::Attention(b.pool, qs, s.T, Nq, Dh, Nkv, s.state->k_cache(L), s.state->v_cache(L), s.P,
                     k_new, v_new, 1.0f / std::sqrt(static_cast<float>(Dh)), attn + s.row0 * Nq * Dh);
}

}  // namespace

int64_t FullAttentionScratchFloats(const TextConfig& c, int64_t N) {
  const int64_t q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim;
  // qg, k, v, q, gate, attn
  return N * (2 * q + 2 * kv + 3 * q);
}

void ComputeRopeTables(const TextConfig& c, const std::vector<SeqSlice>& seqs, float* rope) {
  const int64_t R = c.rotary_dim();
  for (const SeqSlice& s : seqs) {
    float* cos_t = rope + s.row0 * R;
    kernels::RopeTables(s.T, s.P, R, c.rope_theta, cos_t, cos_t + s.T * R / 2);
  }
}

void FullAttentionBlock(const BlockContext& b, const FullAttentionWeights& w, int64_t L,
                        const float* x, float* scratch, float* out) {
  const TextConfig& c = b.c;
  const int64_t N = b.N, Nq = c.num_attention_heads, Nkv = c.num_key_value_heads, Dh = c.head_dim;
  const float eps = static_cast<float>(c.rms_norm_eps);
  float* qg = scratch;               // [N, Nq, 2, Dh]
  float* k = qg + N * Nq * 2 * Dh;   // [N, Nkv, Dh]
  float* v = k + N * Nkv * Dh;       // [N, Nkv, Dh]
  float* q = v + N * Nkv * Dh;       // [N, Nq, Dh]
  float* gate = q + N * Nq * Dh;     // [N, Nq, Dh]
  float* attn = gate + N * Nq * Dh;  // [N, Nq, Dh]
  {
    StageTimer t(b.profile, &ForwardProfile::matmul);
    Project(b, x, N, w.q_proj, qg);
    Project(b, x, N, w.k_proj, k);
    Project(b, x, N, w.v_proj, v);
  }
  {
    // torch.chunk(q_proj(x).view(..., Nq, 2*Dh), 2, dim=-1): per head, query then gate.
    StageTimer t(b.profile, &ForwardProfile::mixer_prep);
    for (int64_t r = 0; r < N * Nq; ++r) {
      std::memcpy(q + r * Dh, qg + r * 2 * Dh, Dh * sizeof(float));
      std::memcpy(gate + r * Dh, qg + r * 2 * Dh + Dh, Dh * sizeof(float));
    }
    kernels::RmsNorm(q, N * Nq, Dh, w.q_norm.data(), eps, q);
    kernels::RmsNorm(k, N * Nkv, Dh, w.k_norm.data(), eps, k);
  }
  {
    StageTimer t(b.profile, &ForwardProfile::attention);
    for (const SeqSlice& s : b.seqs) AttendSequence(b, L, s, q, k, v, attn);
  }
  {
    StageTimer t(b.profile, &ForwardProfile::other);
    const int64_t row = Nq * Dh;
    ParallelRows(b.pool, N, 8, [&](int64_t r0, int64_t r1) {
      kernels::SigmoidMul(attn + r0 * row, gate + r0 * row, (r1 - r0) * row, attn + r0 * row);
    });
  }
  StageTimer t(b.profile, &ForwardProfile::matmul);
  Project(b, attn, N, w.o_proj, out);
}

}  // namespace haloguard::model::internal
