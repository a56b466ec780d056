// Per-target sequence ops (causal conv1d, gated delta rule, causal attention) written once
// against `Vec`; included by each target_<isa>.cc (inclusion rules: vec_math-inl.h).
// Contracts: kernels.h and cpu/ops.h.
#ifndef HG_TARGET
#error "define HG_TARGET (the ISA namespace) before including a -inl.h kernel header"
#endif

namespace haloguard::kernels::HG_TARGET {
namespace {

// ---- Causal depthwise conv1d + SiLU ----
// Vectorised over channels in blocks of kConvVecs vectors, tokens inner: row t + j of
// [state_in (K-1 rows) | x (T rows)] is read in place, kConvVecs * kL contiguous floats at a
// time. (Walking all tokens for one vector of channels instead read 64 bytes from each
// 24 KiB-strided row: the rows shared a few L1 sets and most loads missed; 1.5x slower at the
// 0.8B shape.) Per output the taps are summed in the same order (j ascending) either way.
constexpr int64_t kConvVecs = 8;

void CausalConv1dSiluImpl(const float* x, int64_t T, int64_t C, int64_t c_begin, int64_t c_end,
                          const float* state_in, const float* w, int64_t K, float* out) {
  auto row = [&](int64_t r) -> const float* {
    return r < K - 1 ? (state_in ? state_in + r * C : nullptr) : x + (r - (K - 1)) * C;
  };
  constexpr int64_t kBlock = kConvVecs * kL;
  alignas(64) float taps[kConvMaxK][kBlock];
  for (int64_t c0 = c_begin; c0 < c_end; c0 += kBlock) {
    const int64_t nb = MinI(kBlock, c_end - c0);
    for (int64_t j = 0; j < K; ++j)
      for (int64_t l = 0; l < kBlock; ++l) taps[j][l] = l < nb ? w[(c0 + l) * K + j] : 0.0f;
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t v0 = 0; v0 < nb; v0 += kL) {
        const int64_t n = MinI(kL, nb - v0), c = c0 + v0;
        VT acc = Vec::Zero();
        for (int64_t j = 0; j < K; ++j) {
          const float* src = row(t + j);
          if (src == nullptr) continue;  // zero initial state
          acc = Vec::Fma(Vec::Load(taps[j] + v0), n == kL ? Vec::Load(src + c) : Vec::LoadN(src + c, n), acc);
        }
        if (n == kL) Vec::Store(out + t * C + c, Silu(acc)); else Vec::StoreN(out + t * C + c, Silu(acc), n);
      }
    }
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
// Rows are walked kChains at a time so every accumulator index is a compile-time constant (a
// run-time index would put the accumulators on the stack).
constexpr int kChains = 4;

// acc[u][c] += S[i + c, u-th vector] * x[i + c] over the rows i of [0, Dk).
inline void StateTimesVector(const float* s, const float* x, int64_t Dk, VT acc[kDeltaVecs][kChains]) {
  int64_t i = 0;
  for (; i + kChains <= Dk; i += kChains) {
#pragma GCC unroll 4
    for (int c = 0; c < kChains; ++c) {
      const VT xi = Vec::Set(x[i + c]);
#pragma GCC unroll 4
      for (int u = 0; u < kDeltaVecs; ++u)
        acc[u][c] = Vec::Fma(Vec::Load(s + (i + c) * kDeltaCols + u * kL), xi, acc[u][c]);
    }
  }
  for (; i < Dk; ++i)
    for (int u = 0; u < kDeltaVecs; ++u)
      acc[u][0] = Vec::Fma(Vec::Load(s + i * kDeltaCols + u * kL), Vec::Set(x[i]), acc[u][0]);
}

// S[i] = decay * S[i] + k[i] * delta, and o += S[i] * q[i] on the updated rows.
inline void UpdateState(float* s, const float* kt, const float* qt, int64_t Dk, VT dv,
                        const VT delta[kDeltaVecs], VT o[kDeltaVecs][kChains]) {
  auto row = [&](int64_t i, int c) {
    const VT ki = Vec::Set(kt[i]), qi = Vec::Set(qt[i]);
#pragma GCC unroll 4
    for (int u = 0; u < kDeltaVecs; ++u) {
      float* si = s + i * kDeltaCols + u * kL;
      const VT sn = Vec::Fma(ki, delta[u], Vec::Mul(Vec::Load(si), dv));
      Vec::Store(si, sn);
      o[u][c] = Vec::Fma(sn, qi, o[u][c]);
    }
  };
  int64_t i = 0;
  for (; i + kChains <= Dk; i += kChains) {
#pragma GCC unroll 4
    for (int c = 0; c < kChains; ++c) row(i + c, c);
  }
  for (; i < Dk; ++i) row(i, 0);
}

inline VT SumChains(const VT a[kChains]) { return Vec::Add(Vec::Add(a[0], a[1]), Vec::Add(a[2], a[3])); }

// Tokens whose k, q and v slices DeltaRuleBlock copies to a compact buffer at a time. In the
// model's layout consecutive tokens' slices are C = 6144 floats (24 KiB, a multiple of 4 KiB)
// apart, so read in place they all fall into the same few L1 sets and evict the state block
// (measured at the 0.8B shape: 13 % slower at T = 600; no difference at T = 57).
constexpr int64_t kDeltaStage = 8;

// Copies tokens [t0, t1) of head n's k and q ([Dk] each) and of its value columns [j0, j0 +
// ncols) (zero-padded to kDeltaCols) to kq [tokens, 2, Dk] and vs [tokens, kDeltaCols].
inline void StageTokens(const DeltaArgs& a, int64_t n, int64_t j0, int64_t ncols, int64_t t0,
                        int64_t t1, float* kq, float* vs) {
  const int64_t m = n / (a.Hv / a.Hk), Dk = a.Dk;
  for (int64_t t = t0; t < t1; ++t) {
    float* dst = kq + (t - t0) * 2 * Dk;
    __builtin_memcpy(dst, a.k + t * a.ldqk + m * Dk, Dk * sizeof(float));
    __builtin_memcpy(dst + Dk, a.q + t * a.ldqk + m * Dk, Dk * sizeof(float));
    const float* vt = a.v + t * a.ldv + n * a.Dv + j0;
    for (int u = 0; u < kDeltaVecs; ++u) {
      const int64_t left = ncols - u * kL;
      const VT vv = left >= kL ? Vec::Load(vt + u * kL) : Vec::LoadN(vt + u * kL, left < 0 ? 0 : left);
      Vec::Store(vs + (t - t0) * kDeltaCols + u * kL, vv);
    }
  }
}

void DeltaRuleBlock(const DeltaArgs& a, int64_t n, int64_t j0, int64_t ncols, float* s) {
  const int64_t Dk = a.Dk;
  alignas(64) float kq[kDeltaStage * 2 * kDeltaMaxDk];
  alignas(64) float vs[kDeltaStage * kDeltaCols];
  for (int64_t t0 = 0; t0 < a.T; t0 += kDeltaStage) {
    const int64_t t1 = MinI(a.T, t0 + kDeltaStage);
    StageTokens(a, n, j0, ncols, t0, t1, kq, vs);
    for (int64_t t = t0; t < t1; ++t) {
      const float* kt = kq + (t - t0) * 2 * Dk;
      const float* qt = kt + Dk;
      const float* vt = vs + (t - t0) * kDeltaCols;
      const VT dv = Vec::Set(__builtin_expf(a.g[t * a.Hv + n])), bv = Vec::Set(a.beta[t * a.Hv + n]);
      VT acc[kDeltaVecs][kChains], o[kDeltaVecs][kChains], delta[kDeltaVecs];
      for (int u = 0; u < kDeltaVecs; ++u)
        for (int c = 0; c < kChains; ++c) acc[u][c] = o[u][c] = Vec::Zero();
      StateTimesVector(s, kt, Dk, acc);
      for (int u = 0; u < kDeltaVecs; ++u)
        delta[u] = Vec::Mul(bv, Vec::Fnma(dv, SumChains(acc[u]), Vec::Load(vt + u * kL)));
      UpdateState(s, kt, qt, Dk, dv, delta, o);
      float* ot = a.out + (t * a.Hv + n) * a.Dv + j0;
      for (int u = 0; u < kDeltaVecs; ++u) {
        const int64_t left = ncols - u * kL;
        if (left <= 0) break;
        if (left >= kL) Vec::Store(ot + u * kL, SumChains(o[u])); else Vec::StoreN(ot + u * kL, SumChains(o[u]), left);
      }
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
      for (int u = 0; u < kDeltaVecs; ++u) {
        const int64_t left = nc - u * kL;
        const float* src = sin ? sin + i * a.Dv + c0 + u * kL : nullptr;
        const VT x = src == nullptr || left <= 0 ? Vec::Zero() : left >= kL ? Vec::Load(src) : Vec::LoadN(src, left);
        Vec::Store(s + i * kDeltaCols + u * kL, x);
      }
    DeltaRuleBlock(a, n, c0, nc, s);
    if (a.state_out == nullptr) continue;
    float* sout = a.state_out + n * a.Dk * a.Dv;
    for (int64_t i = 0; i < a.Dk; ++i)
      for (int u = 0; u < kDeltaVecs; ++u) {
        const int64_t left = nc - u * kL;
        float* dst = sout + i * a.Dv + c0 + u * kL;
        const VT x = Vec::Load(s + i * kDeltaCols + u * kL);
        if (left >= kL) Vec::Store(dst, x); else if (left > 0) Vec::StoreN(dst, x, left);
      }
  }
}

// ---- Causal GQA attention ----
// Blocked like a pair of small GEMMs over all query heads of one kv head and a block of tokens
// (rows r = (t - t0) * group + head-in-group): scores S = Q K^T with keys in the vector lanes (K
// transposed one block at a time), a causal softmax per row, then O = P V with head dims in the
// lanes (V is already key-major). A register tile is kAttnRows rows x 2 vectors, so each K/V
// vector load feeds 2 x kAttnRows FMAs instead of one.
constexpr int kAttnRows = kL >= 16 ? 8 : 4;  // 16 accumulators of 32 (AVX-512), 8 of 16 (AVX2)
constexpr int64_t kAttnKeys = 2 * kL;        // keys per transposed block

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

// kt[d * kAttnKeys + l] = key(j0 + l)[d] for d < Dh (keys at or past n are 0).
template <class KeyFn>
inline void TransposeKeys(KeyFn key, int64_t j0, int64_t n, int64_t Dh, float* kt) {
  VT r[kL];
  for (int64_t half = 0; half < 2; ++half) {
    const int64_t jb = j0 + half * kL;
    for (int64_t d0 = 0; d0 < Dh; d0 += kL) {
      const int64_t w = MinI(kL, Dh - d0);
      for (int64_t l = 0; l < kL; ++l) r[l] = jb + l < n ? Vec::LoadN(key(jb + l) + d0, w) : Vec::Zero();
      Vec::Transpose(r);
      for (int64_t d = 0; d < w; ++d) Vec::Store(kt + (d0 + d) * kAttnKeys + half * kL, r[d]);
    }
  }
}

// s[m * lds + 0 .. 2 kL) = scale * q[m] . (the 2 kL keys of kt), for M rows of q (stride Dh).
template <int M>
inline void ScoreTile(const float* q, int64_t Dh, const float* kt, float scale, float* s, int64_t lds) {
  VT acc[M][2];
  for (int m = 0; m < M; ++m) acc[m][0] = acc[m][1] = Vec::Zero();
  for (int64_t d = 0; d < Dh; ++d) {
    const VT k0 = Vec::Load(kt + d * kAttnKeys), k1 = Vec::Load(kt + d * kAttnKeys + kL);
#pragma GCC unroll 8
    for (int m = 0; m < M; ++m) {
      const VT qd = Vec::Set(q[m * Dh + d]);
      acc[m][0] = Vec::Fma(qd, k0, acc[m][0]);
      acc[m][1] = Vec::Fma(qd, k1, acc[m][1]);
    }
  }
  for (int m = 0; m < M; ++m) {
    Vec::Store(s + m * lds, Vec::Mul(acc[m][0], Vec::Set(scale)));
    Vec::Store(s + m * lds + kL, Vec::Mul(acc[m][1], Vec::Set(scale)));
  }
}

// o[m][d0 .. d0 + 2 kL) = sum_{j < n} p[m][j] v(j)[d0 ..] for M rows (head dims past Dh skipped).
template <int M, class ValFn>
inline void ValueTile(const float* p, int64_t lds, int64_t n, ValFn val, int64_t d0, int64_t Dh, float* o) {
  const int64_t w0 = MinI(kL, Dh - d0), w1 = MinI(kL, Dh - d0 - kL);
  VT acc[M][2];
  for (int m = 0; m < M; ++m) acc[m][0] = acc[m][1] = Vec::Zero();
  for (int64_t j = 0; j < n; ++j) {
    const float* vj = val(j) + d0;
    const VT v0 = w0 >= kL ? Vec::Load(vj) : Vec::LoadN(vj, w0);
    const VT v1 = w1 >= kL ? Vec::Load(vj + kL) : Vec::LoadN(vj + kL, w1 < 0 ? 0 : w1);
#pragma GCC unroll 8
    for (int m = 0; m < M; ++m) {
      const VT pj = Vec::Set(p[m * lds + j]);
      acc[m][0] = Vec::Fma(pj, v0, acc[m][0]);
      acc[m][1] = Vec::Fma(pj, v1, acc[m][1]);
    }
  }
  for (int m = 0; m < M; ++m) {
    Vec::StoreN(o + m * Dh + d0, acc[m][0], w0);
    if (w1 > 0) Vec::StoreN(o + m * Dh + d0 + kL, acc[m][1], w1);
  }
}

// fn.template operator()<M>(r) over rows [0, R) in tiles of kAttnRows, then single rows, so every
// tile height is a compile-time constant.
template <class Fn>
inline void ForRowTiles(int64_t R, Fn fn) {
  int64_t r = 0;
  for (; r + kAttnRows <= R; r += kAttnRows) fn.template operator()<kAttnRows>(r);
  for (; r < R; ++r) fn.template operator()<1>(r);
}

// Softmax of row p over its first `limit` keys (the causal window); keys [limit, n) get 0, so
// the value step can run every row of the block over the same n keys.
inline void CausalSoftmax(float* p, int64_t limit, int64_t n) {
  float mx = -INFINITY;
  int64_t j = 0;
  if (limit >= kL) {  // max is order-independent: the same value as the scalar scan
    VT m = Vec::Load(p);
    for (j = kL; j + kL <= limit; j += kL) m = Vec::Max(Vec::Load(p + j), m);
    mx = Vec::MaxOf(m);
  }
  for (; j < limit; ++j) mx = p[j] > mx ? p[j] : mx;
  const VT inv = Vec::Set(1.0f / ExpShiftSum(p, limit, mx));
  for (j = 0; j < limit; j += kL) Vec::StoreN(p + j, Vec::Mul(Vec::LoadN(p + j, limit - j), inv), limit - j);
  for (j = limit; j < n; ++j) p[j] = 0.0f;
}


void AttentionImpl(const AttentionArgs& a, int64_t g, int64_t t0, int64_t t1, float* scratch) {
  const int64_t group = a.Nq / a.Nkv, Dh = a.Dh, stride = a.Nkv * Dh, R = (t1 - t0) * group;
  const int64_t n = a.P + t1;                                     // keys of the block's last token
  const int64_t lds = (n + kAttnKeys - 1) / kAttnKeys * kAttnKeys;  // whole key blocks per row
  auto key = [&](int64_t j) { return j < a.P ? a.k_past + j * stride + g * Dh : a.k_new + (j - a.P) * stride + g * Dh; };
  auto val = [&](int64_t j) { return j < a.P ? a.v_past + j * stride + g * Dh : a.v_new + (j - a.P) * stride + g * Dh; };
  float* q = scratch;            // [R, Dh] the block's queries (then its outputs)
  float* s = q + R * Dh;         // [R, lds] scores, then probabilities
  float* kt = s + R * lds;       // [Dh, kAttnKeys] one transposed key block
  // The group's heads of one token are adjacent in q and out: rows of token t start at
  // (t * Nq + g * group) * Dh.
  for (int64_t t = t0; t < t1; ++t)
    __builtin_memcpy(q + (t - t0) * group * Dh, a.q + (t * a.Nq + g * group) * Dh, group * Dh * sizeof(float));
  for (int64_t j0 = 0; j0 < n; j0 += kAttnKeys) {
    TransposeKeys(key, j0, n, Dh, kt);
    ForRowTiles(R, [&]<int M>(int64_t r) { ScoreTile<M>(q + r * Dh, Dh, kt, a.scale, s + r * lds + j0, lds); });
  }
  for (int64_t r = 0; r < R; ++r) CausalSoftmax(s + r * lds, a.P + t0 + r / group + 1, n);
  for (int64_t d0 = 0; d0 < Dh; d0 += 2 * kL)
    ForRowTiles(R, [&]<int M>(int64_t r) { ValueTile<M>(s + r * lds, lds, n, val, d0, Dh, q + r * Dh); });
  for (int64_t t = t0; t < t1; ++t)
    __builtin_memcpy(a.out + (t * a.Nq + g * group) * Dh, q + (t - t0) * group * Dh, group * Dh * sizeof(float));
}

}  // namespace
}  // namespace haloguard::kernels::HG_TARGET
