// Reference gated delta rule, recurrent and chunked forms (mirrors HF
// torch_recurrent_gated_delta_rule and torch_chunk_gated_delta_rule; reference spec §4.5-4.6).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/reference/reference.h"

namespace haloguard::kernels::ref {
namespace {

// Initial state of head n into S [Dk, Dv].
void LoadState(const float* state_in, int64_t n, int64_t Dk, int64_t Dv, std::vector<float>& S) {
  S.assign(Dk * Dv, 0.0f);
  if (state_in) std::copy(state_in + n * Dk * Dv, state_in + (n + 1) * Dk * Dv, S.begin());
}

}  // namespace

void GatedDeltaRuleRecurrent(const float* q, const float* k, int64_t ldqk, const float* v,
                             int64_t ldv, const float* g, const float* beta, int64_t T,
                             int64_t Hk, int64_t Hv, int64_t Dk, int64_t Dv,
                             const float* state_in, float* state_out, float* out) {
  const int64_t rep = Hv / Hk;
  std::vector<float> S, kv(Dv);
  std::vector<std::vector<float>> finals(Hv);
  for (int64_t n = 0; n < Hv; ++n) {
    LoadState(state_in, n, Dk, Dv, S);
    const int64_t m = n / rep;
    for (int64_t t = 0; t < T; ++t) {
      const float* qt = q + t * ldqk + m * Dk;
      const float* kt = k + t * ldqk + m * Dk;
      const float* vt = v + t * ldv + n * Dv;
      const float decay = std::exp(g[t * Hv + n]), b = beta[t * Hv + n];
      for (float& s : S) s *= decay;
      for (int64_t j = 0; j < Dv; ++j) {
        float acc = 0;
        for (int64_t i = 0; i < Dk; ++i) acc += S[i * Dv + j] * kt[i];
        kv[j] = b * (vt[j] - acc);
      }
      for (int64_t i = 0; i < Dk; ++i)
        for (int64_t j = 0; j < Dv; ++j) S[i * Dv + j] += kt[i] * kv[j];
      float* o = out + (t * Hv + n) * Dv;
      for (int64_t j = 0; j < Dv; ++j) {
        float acc = 0;
        for (int64_t i = 0; i < Dk; ++i) acc += S[i * Dv + j] * qt[i];
        o[j] = acc;
      }
    }
    finals[n] = S;
  }
  if (state_out)
    for (int64_t n = 0; n < Hv; ++n) std::copy(finals[n].begin(), finals[n].end(), state_out + n * Dk * Dv);
}

void GatedDeltaRuleChunked(const float* q, const float* k, int64_t ldqk, const float* v,
                           int64_t ldv, const float* g, const float* beta, int64_t T, int64_t Hk,
                           int64_t Hv, int64_t Dk, int64_t Dv, const float* state_in,
                           float* state_out, float* out, int64_t chunk) {
  const int64_t rep = Hv / Hk;
  std::vector<float> S, G(chunk), U(chunk * Dv), W(chunk * Dk), A(chunk * chunk);
  std::vector<std::vector<float>> finals(Hv);
  for (int64_t n = 0; n < Hv; ++n) {
    LoadState(state_in, n, Dk, Dv, S);
    const int64_t m = n / rep;
    auto K = [&](int64_t t) { return k + t * ldqk + m * Dk; };
    auto Q = [&](int64_t t) { return q + t * ldqk + m * Dk; };
    auto V = [&](int64_t t) { return v + t * ldv + n * Dv; };
    auto dot = [&](const float* a, const float* b) {
      float s = 0;
      for (int64_t i = 0; i < Dk; ++i) s += a[i] * b[i];
      return s;
    };
    for (int64_t c0 = 0; c0 < T; c0 += chunk) {
      const int64_t nc = std::min(chunk, T - c0);
      float acc = 0;
      for (int64_t i = 0; i < nc; ++i) G[i] = (acc += g[(c0 + i) * Hv + n]);
      // A[i][j] = beta_i (k_i . k_j) exp(G_i - G_j), j < i; solve (I + A) [U | W] = [beta v | beta e^G k].
      for (int64_t i = 0; i < nc; ++i)
        for (int64_t j = 0; j < i; ++j)
          A[i * chunk + j] = beta[(c0 + i) * Hv + n] * dot(K(c0 + i), K(c0 + j)) * std::exp(G[i] - G[j]);
      for (int64_t i = 0; i < nc; ++i) {
        const float b = beta[(c0 + i) * Hv + n];
        for (int64_t d = 0; d < Dv; ++d) U[i * Dv + d] = b * V(c0 + i)[d];
        for (int64_t d = 0; d < Dk; ++d) W[i * Dk + d] = b * std::exp(G[i]) * K(c0 + i)[d];
        for (int64_t j = 0; j < i; ++j) {
          const float a = A[i * chunk + j];
          for (int64_t d = 0; d < Dv; ++d) U[i * Dv + d] -= a * U[j * Dv + d];
          for (int64_t d = 0; d < Dk; ++d) W[i * Dk + d] -= a * W[j * Dk + d];
        }
      }
      // Vn = U - W S (corrected values), kept in U.
      for (int64_t i = 0; i < nc; ++i)
        for (int64_t d = 0; d < Dv; ++d) {
          float s = 0;
          for (int64_t e = 0; e < Dk; ++e) s += W[i * Dk + e] * S[e * Dv + d];
          U[i * Dv + d] -= s;
        }
      // o_i = e^{G_i} q_i^T S + sum_{j<=i} (q_i . k_j) e^{G_i - G_j} Vn_j
      for (int64_t i = 0; i < nc; ++i) {
        float* o = out + ((c0 + i) * Hv + n) * Dv;
        for (int64_t d = 0; d < Dv; ++d) {
          float s = 0;
          for (int64_t e = 0; e < Dk; ++e) s += Q(c0 + i)[e] * S[e * Dv + d];
          o[d] = std::exp(G[i]) * s;
        }
        for (int64_t j = 0; j <= i; ++j) {
          const float a = dot(Q(c0 + i), K(c0 + j)) * std::exp(G[i] - G[j]);
          for (int64_t d = 0; d < Dv; ++d) o[d] += a * U[j * Dv + d];
        }
      }
      // S' = e^{G_last} S + sum_i e^{G_last - G_i} k_i (x) Vn_i
      const float glast = G[nc - 1];
      for (float& s : S) s *= std::exp(glast);
      for (int64_t i = 0; i < nc; ++i) {
        const float f = std::exp(glast - G[i]);
        for (int64_t e = 0; e < Dk; ++e)
          for (int64_t d = 0; d < Dv; ++d) S[e * Dv + d] += f * K(c0 + i)[e] * U[i * Dv + d];
      }
    }
    finals[n] = S;
  }
  if (state_out)
    for (int64_t n = 0; n < Hv; ++n) std::copy(finals[n].begin(), finals[n].end(), state_out + n * Dk * Dv);
}

}  // namespace haloguard::kernels::ref
