// Kernel tests: every op of kernels.h against a double-precision oracle, over odd sizes, once per
// instruction set this CPU runs; the delta rule's recurrent and chunked forms against a float64
// recurrence. Tolerances are derived (core/tolerance.h, docs/TOLERANCES.md). Fast-vs-reference
// checks of each target: fast_ops_test.cc, matmul_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/bf16.h"
#include "core/tolerance.h"
#include "kernels/kernels.h"
#include "kernels/reference/reference.h"
#include "kernels/test_util.h"

namespace haloguard::kernels {
namespace {

using testing::IsaParamName;
using testing::Random;
using testing::ScopedIsa;
using testing::SupportedIsas;

// Exact float64 delta-rule recurrence (reference spec §4.5) for one configuration.
struct DeltaCase {
  int64_t T, Hk, Hv, Dk, Dv;
};

void DeltaRuleF64(const DeltaCase& c, const std::vector<float>& q, const std::vector<float>& k,
                  const std::vector<float>& v, const std::vector<float>& g,
                  const std::vector<float>& beta, const std::vector<float>& s0,
                  std::vector<double>& out, std::vector<double>& s_final, double* max_abs_s) {
  const int64_t rep = c.Hv / c.Hk;
  out.assign(c.T * c.Hv * c.Dv, 0);
  s_final.assign(s0.begin(), s0.end());
  *max_abs_s = 0;
  for (int64_t n = 0; n < c.Hv; ++n) {
    double* S = &s_final[n * c.Dk * c.Dv];
    const int64_t m = n / rep;
    for (int64_t t = 0; t < c.T; ++t) {
      const float* qt = &q[(t * c.Hk + m) * c.Dk];
      const float* kt = &k[(t * c.Hk + m) * c.Dk];
      const float* vt = &v[(t * c.Hv + n) * c.Dv];
      const double decay = std::exp(double(g[t * c.Hv + n])), b = beta[t * c.Hv + n];
      for (int64_t i = 0; i < c.Dk * c.Dv; ++i) S[i] *= decay;
      std::vector<double> d(c.Dv);
      for (int64_t j = 0; j < c.Dv; ++j) {
        double acc = 0;
        for (int64_t i = 0; i < c.Dk; ++i) acc += S[i * c.Dv + j] * kt[i];
        d[j] = b * (vt[j] - acc);
      }
      for (int64_t i = 0; i < c.Dk; ++i)
        for (int64_t j = 0; j < c.Dv; ++j) S[i * c.Dv + j] += kt[i] * d[j];
      for (int64_t j = 0; j < c.Dv; ++j) {
        double acc = 0;
        for (int64_t i = 0; i < c.Dk; ++i) acc += S[i * c.Dv + j] * qt[i];
        out[(t * c.Hv + n) * c.Dv + j] = acc;
      }
      for (int64_t i = 0; i < c.Dk * c.Dv; ++i) *max_abs_s = std::max(*max_abs_s, std::fabs(S[i]));
    }
  }
}

class DeltaRuleTest : public ::testing::TestWithParam<std::tuple<DeltaCase, Isa>> {};

TEST_P(DeltaRuleTest, RecurrentAndChunkedMatchFloat64Recurrence) {
  const DeltaCase c = std::get<0>(GetParam());
  ScopedIsa isa(std::get<1>(GetParam()));
  auto q = Random(c.T * c.Hk * c.Dk, 1), k = Random(c.T * c.Hk * c.Dk, 2);
  auto v = Random(c.T * c.Hv * c.Dv, 3), a = Random(c.T * c.Hv, 4), b = Random(c.T * c.Hv, 5);
  auto s0 = Random(c.Hv * c.Dk * c.Dv, 6, 0.5f);
  std::vector<float> g(a.size()), beta(b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    g[i] = -std::exp(0.5f * a[i]) * std::log1p(std::exp(a[i]));  // like -exp(A_log) softplus(.)
    beta[i] = 1.0f / (1.0f + std::exp(-b[i]));
  }
  // Unit-norm keys, q / sqrt(Dk), as the model feeds them.
  L2NormRows(q.data(), c.T * c.Hk, c.Dk, c.Dk, 1e-6f, 1.0f / std::sqrt(float(c.Dk)));
  L2NormRows(k.data(), c.T * c.Hk, c.Dk, c.Dk, 1e-6f, 1.0f);
  std::vector<double> want, want_s;
  double max_s = 0;
  DeltaRuleF64(c, q, k, v, g, beta, s0, want, want_s, &max_s);
  // Error bound: each output/state entry ends a chain of T steps, each a Dk-term dot product
  // plus ~4 roundings, on values bounded by max|S| + max|v| (the state update is contractive:
  // decay < 1 and |I - beta k k^T| <= 1 for unit keys); the chunked form adds a chunk-length
  // triangular solve per step. Probabilistic bound ProbGamma(T * (Dk + C + 4)) * scale.
  double max_v = 0;
  for (float x : v) max_v = std::max(max_v, double(std::fabs(x)));
  const double scale = max_s + max_v;
  const double tol = ProbGamma(double(c.T) * (c.Dk + 64 + 4)) * scale;
  for (DeltaRuleForm form : {DeltaRuleForm::kRecurrent, DeltaRuleForm::kChunked}) {
    std::vector<float> out(want.size()), s = s0;
    ThreadPool pool(2);
    GatedDeltaRule(pool, q.data(), k.data(), c.Hk * c.Dk, v.data(), c.Hv * c.Dv, g.data(),
                   beta.data(), c.T, c.Hk, c.Hv, c.Dk, c.Dv, s.data(), s.data(), out.data(), form);
    double err = 0, serr = 0;
    for (size_t i = 0; i < out.size(); ++i) err = std::max(err, std::fabs(out[i] - want[i]));
    for (size_t i = 0; i < s.size(); ++i) serr = std::max(serr, std::fabs(s[i] - want_s[i]));
    EXPECT_LE(err, tol) << "form " << int(form);
    EXPECT_LE(serr, tol) << "form " << int(form);
    EXPECT_GT(err, 0.0);  // the test would notice a form that returned the oracle's doubles
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, DeltaRuleTest,
                         ::testing::Combine(::testing::Values(DeltaCase{1, 2, 2, 8, 8}, DeltaCase{5, 1, 3, 7, 5},
                                                              DeltaCase{64, 2, 4, 16, 8}, DeltaCase{65, 2, 2, 16, 16},
                                                              DeltaCase{150, 3, 6, 12, 10},
                                                              DeltaCase{9, 2, 4, 128, 40}),
                                            ::testing::ValuesIn(SupportedIsas())));

class PerIsa : public ::testing::TestWithParam<Isa> {
 protected:
  ScopedIsa isa_{GetParam()};
};
INSTANTIATE_TEST_SUITE_P(Isas, PerIsa, ::testing::ValuesIn(SupportedIsas()), IsaParamName);

TEST_P(PerIsa, DeltaRuleSplitEqualsWholeAndNullStateIsZero) {
  const DeltaCase c{100, 2, 4, 8, 8};
  auto q = Random(c.T * c.Hk * c.Dk, 7, 0.3f), k = Random(c.T * c.Hk * c.Dk, 8);
  auto v = Random(c.T * c.Hv * c.Dv, 9);
  std::vector<float> g(c.T * c.Hv, -0.1f), beta(c.T * c.Hv, 0.5f);
  L2NormRows(k.data(), c.T * c.Hk, c.Dk, c.Dk, 1e-6f, 1.0f);
  ThreadPool pool(1);
  std::vector<float> whole(c.T * c.Hv * c.Dv), split(whole.size());
  std::vector<float> s_whole(c.Hv * c.Dk * c.Dv), s_split(s_whole.size());
  GatedDeltaRule(pool, q.data(), k.data(), c.Hk * c.Dk, v.data(), c.Hv * c.Dv, g.data(), beta.data(),
                 c.T, c.Hk, c.Hv, c.Dk, c.Dv, nullptr, s_whole.data(), whole.data());
  const int64_t T1 = 37;
  GatedDeltaRule(pool, q.data(), k.data(), c.Hk * c.Dk, v.data(), c.Hv * c.Dv, g.data(), beta.data(),
                 T1, c.Hk, c.Hv, c.Dk, c.Dv, nullptr, s_split.data(), split.data());
  GatedDeltaRule(pool, q.data() + T1 * c.Hk * c.Dk, k.data() + T1 * c.Hk * c.Dk, c.Hk * c.Dk,
                 v.data() + T1 * c.Hv * c.Dv, c.Hv * c.Dv, g.data() + T1 * c.Hv, beta.data() + T1 * c.Hv,
                 c.T - T1, c.Hk, c.Hv, c.Dk, c.Dv, s_split.data(), s_split.data(),
                 split.data() + T1 * c.Hv * c.Dv);
  // Same bound as above, scale max|S| + max|v| <= 8 here (|v| < 4.5 for 3200 N(0,1) draws).
  const double tol = ProbGamma(double(c.T) * (c.Dk + 68)) * 8.0;
  for (size_t i = 0; i < whole.size(); ++i) ASSERT_NEAR(whole[i], split[i], tol) << i;
  for (size_t i = 0; i < s_whole.size(); ++i) ASSERT_NEAR(s_whole[i], s_split[i], tol) << i;
}

TEST_P(PerIsa, MatMulAllDtypesMatchFloat64) {
  ThreadPool pool(2);
  for (DType dt : {DType::kF32, DType::kBF16, DType::kF16}) {
    const int64_t T = 5, K = 67, N = 41;
    auto x = Random(T * K, 11), wf = Random(N * K, 12, 0.2f);
    std::vector<uint16_t> w16(N * K);
    std::vector<float> wq(N * K);  // the weights as the kernel sees them
    for (int64_t i = 0; i < N * K; ++i) {
      if (dt == DType::kBF16) { w16[i] = F32ToBf16(wf[i]); wq[i] = Bf16ToF32(w16[i]); }
      else if (dt == DType::kF16) { w16[i] = F32ToF16(wf[i]); wq[i] = F16ToF32(w16[i]); }
      else wq[i] = wf[i];
    }
    WeightMatrix w{dt == DType::kF32 ? static_cast<const void*>(wf.data()) : w16.data(), dt, N, K};
    std::vector<float> y(T * N);
    MatMul(pool, x.data(), T, w, y.data());
    std::vector<int32_t> rows = {40, 0, 17};
    std::vector<float> yr(T * rows.size());
    MatMulRows(pool, x.data(), T, w, rows, yr.data());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t n = 0; n < N; ++n) {
        double exact = 0, abs_sum = 0;
        for (int64_t k = 0; k < K; ++k) {
          exact += double(x[t * K + k]) * wq[n * K + k];
          abs_sum += std::fabs(double(x[t * K + k]) * wq[n * K + k]);
        }
        ASSERT_NEAR(y[t * N + n], exact, ReductionTolerance(K, abs_sum)) << int(dt);
        for (size_t r = 0; r < rows.size(); ++r)
          if (rows[r] == n) {
            ASSERT_NEAR(yr[t * rows.size() + r], exact, ReductionTolerance(K, abs_sum));
          }
      }
  }
}

TEST_P(PerIsa, ConvStateCarriesAcrossCalls) {
  const int64_t T = 9, C = 5, K = 4;
  auto x = Random(T * C, 21), w = Random(C * K, 22);
  std::vector<float> whole(T * C), split(T * C), st(3 * C, 0.0f), st_whole(3 * C, 0.0f);
  CausalConv1dSilu(x.data(), T, C, st_whole.data(), w.data(), K, whole.data(), st_whole.data());
  CausalConv1dSilu(x.data(), 4, C, st.data(), w.data(), K, split.data(), st.data());
  CausalConv1dSilu(x.data() + 4 * C, T - 4, C, st.data(), w.data(), K, split.data() + 4 * C, st.data());
  for (int64_t i = 0; i < T * C; ++i) EXPECT_EQ(whole[i], split[i]);  // same ops, same order
  for (int64_t i = 0; i < 3 * C; ++i) EXPECT_EQ(st[i], x[(T - 3) * C + i]);
  // First output of a fresh sequence only sees tap K-1 on x[0].
  // silu in fp32 with a vector exp of relative error <= 4u: <= ~7u relative (TOLERANCES.md).
  const double a = double(w[K - 1]) * x[0], want = a / (1 + std::exp(-a));
  EXPECT_NEAR(whole[0], want, Gamma(8) * std::fabs(want));
}

TEST_P(PerIsa, AttentionMatchesFloat64AndSplitsPastFromNew) {
  const int64_t T = 6, P = 5, Nq = 4, Nkv = 2, Dh = 8;
  auto q = Random(T * Nq * Dh, 31), k = Random((P + T) * Nkv * Dh, 32), v = Random((P + T) * Nkv * Dh, 33);
  ThreadPool pool(2);
  std::vector<float> out(T * Nq * Dh);
  const float scale = 1.0f / std::sqrt(float(Dh));
  Attention(pool, q.data(), T, Nq, Dh, Nkv, k.data(), v.data(), P, k.data() + P * Nkv * Dh,
            v.data() + P * Nkv * Dh, scale, out.data());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < Nq; ++h) {
      const int64_t g = h / (Nq / Nkv), n = P + t + 1;
      std::vector<double> s(n);
      double mx = -1e300, sum = 0, vmax = 0;
      for (int64_t j = 0; j < n; ++j) {
        double d = 0;
        for (int64_t e = 0; e < Dh; ++e) d += double(q[(t * Nq + h) * Dh + e]) * k[(j * Nkv + g) * Dh + e];
        s[j] = d * scale;
        mx = std::max(mx, s[j]);
      }
      for (double& x : s) sum += (x = std::exp(x - mx));
      for (int64_t e = 0; e < Dh; ++e) {
        double o = 0;
        for (int64_t j = 0; j < n; ++j) {
          o += s[j] / sum * v[(j * Nkv + g) * Dh + e];
          vmax = std::max(vmax, double(std::fabs(v[(j * Nkv + g) * Dh + e])));
        }
        // scores: Dh-term dots (relative gamma(Dh+2)); softmax weights relative gamma(n+3);
        // output: n-term weighted sum of |v| <= vmax.
        const double tol = (Gamma(Dh + 2) * 8 + Gamma(n + 3)) * vmax * 4;
        ASSERT_NEAR(out[(t * Nq + h) * Dh + e], o, tol);
      }
    }
}

TEST_P(PerIsa, NormsRmsNormGatedAndL2) {
  const int64_t R = 3, D = 37;
  auto x = Random(R * D, 41), z = Random(R * D, 42), w = Random(D, 43);
  std::vector<float> out(R * D), gated(R * D);
  RmsNorm(x.data(), R, D, w.data(), 1e-6f, out.data());
  GatedRmsNorm(x.data(), z.data(), R, D, w.data(), 1e-6f, gated.data());
  for (int64_t r = 0; r < R; ++r) {
    double ss = 0;
    for (int64_t d = 0; d < D; ++d) ss += double(x[r * D + d]) * x[r * D + d];
    const double inv = 1.0 / std::sqrt(ss / D + 1e-6);
    for (int64_t d = 0; d < D; ++d) {
      const double n = x[r * D + d] * inv, silu = z[r * D + d] / (1 + std::exp(-double(z[r * D + d])));
      const double tol = Gamma(D + 8) * std::fabs(n * w[d]) + 1e-30;
      EXPECT_NEAR(out[r * D + d], n * w[d], tol * 2);
      EXPECT_NEAR(gated[r * D + d], n * w[d] * silu, tol * 2 * (std::fabs(silu) + 1));
    }
  }
}

TEST_P(PerIsa, RopeRotatesPairsAndPassesTheRest) {
  const int64_t T = 3, H = 2, Dh = 10, R = 6;
  auto x = Random(T * H * Dh, 51);
  auto y = x;
  std::vector<float> c(T * R / 2), s(T * R / 2);
  RopeTables(T, 7, R, 10000.0, c.data(), s.data());
  RopeNeox(y.data(), T, H, Dh, H * Dh, R, c.data(), s.data());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < R / 2; ++i) {
        const double ang = (7 + t) * std::pow(10000.0, -2.0 * i / R);
        const float* a = &x[(t * H + h) * Dh];
        const float* b = &y[(t * H + h) * Dh];
        EXPECT_NEAR(b[i], a[i] * std::cos(ang) - a[i + R / 2] * std::sin(ang), 4 * Gamma(4) * 4);
        EXPECT_NEAR(b[i + R / 2], a[i + R / 2] * std::cos(ang) + a[i] * std::sin(ang), 4 * Gamma(4) * 4);
        for (int64_t d = R; d < Dh; ++d) EXPECT_EQ(b[d], a[d]);
      }
}

TEST(Dispatch, PortableAlwaysRunsAndNamesRoundTrip) {
  EXPECT_TRUE(IsaSupported(Isa::kPortable));
  EXPECT_EQ(IsaName(Isa::kAvx512), "avx512");
  const Isa before = ActiveIsa();
  {
    ScopedIsa p(Isa::kPortable);
    EXPECT_EQ(ActiveIsa(), Isa::kPortable);
  }
  EXPECT_EQ(ActiveIsa(), before);
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!IsaSupported(isa)) {
      EXPECT_FALSE(SetActiveIsa(isa));
    }
  }
}

}  // namespace
}  // namespace haloguard::kernels
