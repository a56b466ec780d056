// Per-target sequence ops (causal conv1d, gated delta rule, causal attention) written once
// against `Vec`; included by each target_<isa>.cc (inclusion rules: vec_math-inl.h).
// Contracts: kernels.h and cpu/ops.h.
#ifndef HG_TARGET
#error "define HG_TARGET (the ISA namespace) before including a -inl.h kernel header"
#endif

namespace haloguard::kernels::HG_TARGET {
namespace {

// ---- Causal depthwise conv1d + SiLU ----
// Vectorised over channels; row t + j of [state_in (K-1 rows) | x (T rows)] is read in place.
void CausalConv1dSiluImpl(const float* x, int64_t T, int64_t C, const float* state_in,
                          const float* w, int64_t K, float* out, float* state_out) {
  auto row = [&](int64_t r) -> const float* {
    return r < K - 1 ? (state_in ? state_in + r * C : nullptr) : x + (r - (K - 1)) * C;
  };
  alignas(64) float taps[kConvMaxK][kL];
  for (int64_t c0 = 0; c0 < C; c0 += kL) {
    const int64_t n = MinI(kL, C - c0);
    for (int64_t j = 0; j < K; ++j)
      for (int64_t l = 0; l < kL; ++l) taps[j][l] = l < n ? w[(c0 + l) * K + j] : 0.0f;
    for (int64_t t = 0; t < T; ++t) {
      VT acc = Vec::Zero();
      for (int64_t j = 0; j < K; ++j) {
        const float* src = row(t + j);
        if (src == nullptr) continue;  // zero initial state
        acc = Vec::Fma(Vec::Load(taps[j]), n == kL ? Vec::Load(src + c0) : Vec::LoadN(src + c0, n), acc);
      }
      if (n == kL) Vec::Store(out + t * C + c0, Silu(acc)); else Vec::StoreN(out + t * C + c0, Silu(acc), n);
    }
  }
  if (state_out == nullptr) return;
  // New state = rows T .. T+K-2 of [state_in | x]. Ascending copy is alias-safe: row r reads
  // row r + T >= r.
  for (int64_t r = 0; r < K - 1; ++r) {
    const float* src = row(T + r);
    for (int64_t c = 0; c < C; ++c) state_out[r * C + c] = src ? src[c] : 0.0f;
  }
}

// ---- Gated delta rule, recurrent form ----
// One head, kDeltaVecs vectors of value columns: the state block S[:, j0:j0+W] ([Dk, W]) lives
// in `s` (L1) for all T tokens. Per token (HF torch_recurrent_gated_delta_rule):
//   S *= exp(g);  delta = beta * (v - S^T k);  S += k delta^T;  o = S^T q.
// S^T k is computed on the decayed state as exp(g) * (S^T k).
constexpr int kDeltaVecs = 2;
constexpr int64_t kDeltaCols = kDeltaVecs * kL;

// kChains partial sums per vector: enough independent FMA chains to cover 2 pipes x 4 cycles.
constexpr int kChains = 4;

void DeltaRuleBlock(const DeltaArgs& a, int64_t n, int64_t j0, int64_t ncols, float* s) {
  const int64_t m = n / (a.Hv / a.Hk), Dk = a.Dk;
  for (int64_t t = 0; t < a.T; ++t) {
    const float* kt = a.k + t * a.ldqk + m * Dk;
    const float* qt = a.q + t * a.ldqk + m * Dk;
    const float* vt = a.v + t * a.ldv + n * a.Dv + j0;
    const float decay = __builtin_expf(a.g[t * a.Hv + n]), b = a.beta[t * a.Hv + n];
    VT acc[kDeltaVecs][kChains];
    for (int u = 0; u < kDeltaVecs; ++u)
      for (int c = 0; c < kChains; ++c) acc[u][c] = Vec::Zero();
    for (int64_t i = 0; i < Dk; ++i) {
      const VT ki = Vec::Set(kt[i]);
      for (int u = 0; u < kDeltaVecs; ++u)
        acc[u][i % kChains] = Vec::Fma(Vec::Load(s + i * kDeltaCols + u * kL), ki, acc[u][i % kChains]);
    }
    VT delta[kDeltaVecs], o[kDeltaVecs][kChains];
    const VT dv = Vec::Set(decay), bv = Vec::Set(b);
    for (int u = 0; u < kDeltaVecs; ++u) {
      const int64_t left = ncols - u * kL;
      const VT vv = left >= kL ? Vec::Load(vt + u * kL) : Vec::LoadN(vt + u * kL, left < 0 ? 0 : left);
      const VT sk = Vec::Add(Vec::Add(acc[u][0], acc[u][1]), Vec::Add(acc[u][2], acc[u][3]));
      delta[u] = Vec::Mul(bv, Vec::Fnma(dv, sk, vv));
      for (int c = 0; c < kChains; ++c) o[u][c] = Vec::Zero();
    }
    for (int64_t i = 0; i < Dk; ++i) {
      const VT ki = Vec::Set(kt[i]), qi = Vec::Set(qt[i]);
      for (int u = 0; u < kDeltaVecs; ++u) {
        float* si = s + i * kDeltaCols + u * kL;
        const VT sn = Vec::Fma(ki, delta[u], Vec::Mul(Vec::Load(si), dv));
        Vec::Store(si, sn);
        o[u][i % kChains] = Vec::Fma(sn, qi, o[u][i % kChains]);
      }
    }
    float* ot = a.out + (t * a.Hv + n) * a.Dv + j0;
    for (int u = 0; u < kDeltaVecs; ++u) {
      const int64_t left = ncols - u * kL;
      if (left <= 0) break;
      const VT ov = Vec::Add(Vec::Add(o[u][0], o[u][1]), Vec::Add(o[u][2], o[u][3]));
      if (left >= kL) Vec::Store(ot + u * kL, ov); else Vec::StoreN(ot + u * kL, ov, left);
    }
  }
}

// Covers value columns [j0, j1) of head n in blocks of kDeltaCols; the state block is copied to
// a local buffer (zero-padded past Dv) and written back, so state_out may alias state_in.
void DeltaRuleImpl(const DeltaArgs& a, int64_t n, int64_t j0, int64_t j1) {
  alignas(64) float s[kDeltaMaxDk * kDeltaCols];
  for (int64_t c0 = j0; c0 < j1; c0 += kDeltaCols) {
    const int64_t nc = MinI(kDeltaCols, j1 - c0);
    const float* sin = a.state_in ? a.state_in + n * a.Dk * a.Dv : nullptr;
    for (int64_t i = 0; i < a.Dk; ++i)
      for (int64_t j = 0; j < kDeltaCols; ++j)
        s[i * kDeltaCols + j] = (sin && j < nc) ? sin[i * a.Dv + c0 + j] : 0.0f;
    DeltaRuleBlock(a, n, c0, nc, s);
    if (a.state_out == nullptr) continue;
    float* sout = a.state_out + n * a.Dk * a.Dv;
    for (int64_t i = 0; i < a.Dk; ++i)
      for (int64_t j = 0; j < nc; ++j) sout[i * a.Dv + c0 + j] = s[i * kDeltaCols + j];
  }
}

// ---- Causal GQA attention ----
inline float Dot(const float* a, const float* b, int64_t n) {
  VT a0 = Vec::Zero(), a1 = Vec::Zero();
  int64_t d = 0;
  for (; d + 2 * kL <= n; d += 2 * kL) {
    a0 = Vec::Fma(Vec::Load(a + d), Vec::Load(b + d), a0);
    a1 = Vec::Fma(Vec::Load(a + d + kL), Vec::Load(b + d + kL), a1);
  }
  for (; d < n; d += kL) a0 = Vec::Fma(Vec::LoadN(a + d, n - d), Vec::LoadN(b + d, n - d), a0);
  return Vec::Sum(Vec::Add(a0, a1));
}

// p[0:n] = exp(p - max); returns the sum.
inline float ExpShiftSum(float* p, int64_t n, float mx) {
  const VT m = Vec::Set(mx);
  VT sum = Vec::Zero();
  int64_t j = 0;
  for (; j + kL <= n; j += kL) {
    const VT e = Exp(Vec::Sub(Vec::Load(p + j), m));
    Vec::Store(p + j, e);
    sum = Vec::Add(sum, e);
  }
  if (j < n) {
    const VT e = Exp(Vec::Sub(Vec::LoadN(p + j, n - j), m));
    Vec::StoreN(p + j, e, n - j);
    sum = Vec::Add(sum, Vec::LoadN(p + j, n - j));
  }
  return Vec::Sum(sum);
}

// o[0:Dh] = sum_j w[j] * val(j)[0:Dh], Dh in chunks of 8 vectors held in registers.
template <class ValFn>
inline void WeightedSum(const float* w, int64_t n, ValFn val, int64_t Dh, float* o) {
  constexpr int kChunk = 8;
  for (int64_t d0 = 0; d0 < Dh; d0 += kChunk * kL) {
    VT acc[kChunk];
    for (int c = 0; c < kChunk; ++c) acc[c] = Vec::Zero();
    const int64_t span = MinI(kChunk * kL, Dh - d0);
    for (int64_t j = 0; j < n; ++j) {
      const VT wj = Vec::Set(w[j]);
      const float* vj = val(j) + d0;
      for (int c = 0; c < kChunk; ++c) {
        const int64_t left = span - c * kL;
        if (left <= 0) break;
        acc[c] = Vec::Fma(wj, left >= kL ? Vec::Load(vj + c * kL) : Vec::LoadN(vj + c * kL, left), acc[c]);
      }
    }
    for (int c = 0; c < kChunk; ++c) {
      const int64_t left = span - c * kL;
      if (left <= 0) break;
      if (left >= kL) Vec::Store(o + d0 + c * kL, acc[c]); else Vec::StoreN(o + d0 + c * kL, acc[c], left);
    }
  }
}

void AttentionImpl(const AttentionArgs& a, int64_t h, int64_t t0, int64_t t1, float* p) {
  const int64_t g = h / (a.Nq / a.Nkv), Dh = a.Dh, row = a.Nkv * Dh;
  auto key = [&](int64_t j) { return j < a.P ? a.k_past + j * row + g * Dh : a.k_new + (j - a.P) * row + g * Dh; };
  auto val = [&](int64_t j) { return j < a.P ? a.v_past + j * row + g * Dh : a.v_new + (j - a.P) * row + g * Dh; };
  for (int64_t t = t0; t < t1; ++t) {
    const float* qv = a.q + (t * a.Nq + h) * Dh;
    const int64_t n = a.P + t + 1;
    float mx = -INFINITY;
    for (int64_t j = 0; j < n; ++j) {
      p[j] = Dot(qv, key(j), Dh) * a.scale;
      mx = (p[j] > mx ? p[j] : mx);
    }
    const float inv = 1.0f / ExpShiftSum(p, n, mx);
    for (int64_t j = 0; j < n; ++j) p[j] *= inv;
    WeightedSum(p, n, val, Dh, a.out + (t * a.Nq + h) * Dh);
  }
}

}  // namespace
}  // namespace haloguard::kernels::HG_TARGET
