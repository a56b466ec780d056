// The element-wise and sequence ops of every target against their scalar reference twins
// (kernels/reference), over odd lengths and misaligned starts (vector tails and masks).
// Tolerances: both sides are fp32 evaluations of the same formula in different orders, so they
// differ by at most the sum of their error bounds (docs/TOLERANCES.md).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

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

class FastOps : public ::testing::TestWithParam<Isa> {
 protected:
  ScopedIsa isa_{GetParam()};
};
INSTANTIATE_TEST_SUITE_P(Isas, FastOps, ::testing::ValuesIn(SupportedIsas()), IsaParamName);

// Vector exp has relative error <= 4u (Cephes bound 2.3e-7), std::exp <= 1u; silu/sigmoid add
// an add and a divide on each side: <= 12u apart, 14u after the gating multiply.
constexpr double kGateRel = 14;

void ExpectRelClose(const std::vector<float>& got, const std::vector<float>& want, double rel,
                    const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], rel * std::fabs(want[i]) + 1e-37) << what << " at " << i;
}

TEST_P(FastOps, NormsMatchReference) {
  for (int64_t D : {1, 7, 16, 37, 100, 1024}) {
    const int64_t R = 3;
    auto xb = Random(R * D + 1, 1), zb = Random(R * D + 1, 2), w = Random(D, 3);
    const float* x = xb.data() + 1;  // misaligned
    const float* z = zb.data() + 1;
    std::vector<float> got(R * D), want(R * D);
    // sum of squares gamma(D) on each side -> relative gamma(D)/2 after the sqrt; plus <= 4
    // roundings (div, sqrt, two multiplies) per side.
    const double rel = Gamma(D) + Gamma(8);
    RmsNorm(x, R, D, w.data(), 1e-6f, got.data());
    ref::RmsNorm(x, R, D, w.data(), 1e-6f, want.data());
    ExpectRelClose(got, want, rel, "RmsNorm");
    GatedRmsNorm(x, z, R, D, w.data(), 1e-6f, got.data());
    ref::GatedRmsNorm(x, z, R, D, w.data(), 1e-6f, want.data());
    ExpectRelClose(got, want, rel + Gamma(kGateRel), "GatedRmsNorm");
    std::vector<float> l2(xb.begin() + 1, xb.end()), l2_ref = l2;
    L2NormRows(l2.data(), R, D, D, 1e-6f, 0.5f);
    ref::L2NormRows(l2_ref.data(), R, D, D, 1e-6f, 0.5f);
    ExpectRelClose(l2, l2_ref, rel, "L2NormRows");
    // AddRmsNorm: the residual add is one rounding on both sides, so h must match exactly.
    std::vector<float> h(xb.begin() + 1, xb.end()), h_ref = h;
    AddRmsNorm(h.data(), z, R, D, w.data(), 1e-6f, got.data());
    ref::AddRmsNorm(h_ref.data(), z, R, D, w.data(), 1e-6f, want.data());
    EXPECT_EQ(h, h_ref);
    ExpectRelClose(got, want, rel, "AddRmsNorm");
  }
}

TEST_P(FastOps, GatesMatchReference) {
  for (int64_t n : {1, 15, 16, 17, 333}) {
    auto a = Random(n + 1, 4, 4.0f), b = Random(n + 1, 5, 4.0f);
    a[1] = 95.0f;    // exp(-x) underflows
    b[1] = -95.0f;   // exp(-x) overflows: silu -> -0, sigmoid -> 0
    std::vector<float> got(n), want(n);
    SiluMul(a.data() + 1, b.data() + 1, n, got.data());
    ref::SiluMul(a.data() + 1, b.data() + 1, n, want.data());
    ExpectRelClose(got, want, Gamma(kGateRel), "SiluMul");
    SiluMul(b.data() + 1, a.data() + 1, n, got.data());
    ref::SiluMul(b.data() + 1, a.data() + 1, n, want.data());
    ExpectRelClose(got, want, Gamma(kGateRel), "SiluMul (negative gate)");
    SigmoidMul(a.data() + 1, b.data() + 1, n, got.data());
    ref::SigmoidMul(a.data() + 1, b.data() + 1, n, want.data());
    ExpectRelClose(got, want, Gamma(kGateRel), "SigmoidMul");
  }
}

// Each output is silu of a K-term sum: |d acc| <= 2 gamma(K) sum|w x|, |silu'| <= 1.1.
void ExpectConvClose(const std::vector<float>& got, const std::vector<float>& want,
                     const std::vector<float>& x, const float* st, const std::vector<float>& w,
                     int64_t T, int64_t C, int64_t K) {
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < C; ++c) {
      double abs_sum = 0;
      for (int64_t j = 0; j < K; ++j) {
        const int64_t r = t + j;  // row of [state | x]
        const float xv = r < K - 1 ? (st ? st[r * C + c] : 0.0f) : x[(r - K + 1) * C + c];
        abs_sum += std::fabs(double(w[c * K + j]) * xv);
      }
      const float e = want[t * C + c];
      ASSERT_NEAR(got[t * C + c], e, 2.2 * Gamma(K) * abs_sum + Gamma(kGateRel) * std::fabs(e) + 1e-37)
          << "K=" << K << " T=" << T << " t=" << t << " c=" << c << (st ? "" : " (zero state)");
    }
}

TEST_P(FastOps, ConvMatchesReferenceWithStateAndShortInputs) {
  for (int64_t K : {2, 4}) {
    for (int64_t T : {1, 2, 9}) {
      const int64_t C = 37;
      auto x = Random(T * C, 6), w = Random(C * K, 7), st = Random((K - 1) * C, 8);
      std::vector<float> got(T * C), want(T * C), st_got = st, st_want = st;
      // state_out aliases state_in, as the model calls it.
      CausalConv1dSilu(x.data(), T, C, st_got.data(), w.data(), K, got.data(), st_got.data());
      ref::CausalConv1dSilu(x.data(), T, C, st_want.data(), w.data(), K, want.data(), st_want.data());
      EXPECT_EQ(st_got, st_want) << "K=" << K << " T=" << T;  // a copy, exactly
      ExpectConvClose(got, want, x, st.data(), w, T, C, K);
      CausalConv1dSilu(x.data(), T, C, nullptr, w.data(), K, got.data(), nullptr);
      ref::CausalConv1dSilu(x.data(), T, C, nullptr, w.data(), K, want.data(), nullptr);
      ExpectConvClose(got, want, x, nullptr, w, T, C, K);
    }
  }
}

// The pool version splits tokens; every output and the new state must match the single-threaded
// call bit for bit (same operations per row; the state is a copy).
TEST_P(FastOps, ConvSplitAcrossThreadsIsBitIdentical) {
  ThreadPool pool(3);
  for (int64_t T : {1, 2, 3, 40, 100, 333}) {
    const int64_t C = 70, K = 4;
    auto x = Random(T * C, 12), w = Random(C * K, 13), st = Random((K - 1) * C, 14);
    std::vector<float> one(T * C), many(T * C), st_one = st, st_many = st;
    CausalConv1dSilu(x.data(), T, C, st_one.data(), w.data(), K, one.data(), st_one.data());
    CausalConv1dSilu(pool, x.data(), T, C, st_many.data(), w.data(), K, many.data(), st_many.data());
    EXPECT_EQ(one, many) << "T=" << T;
    EXPECT_EQ(st_one, st_many) << "T=" << T;
    CausalConv1dSilu(pool, x.data(), T, C, nullptr, w.data(), K, many.data(), nullptr);
    CausalConv1dSilu(x.data(), T, C, nullptr, w.data(), K, one.data(), nullptr);
    EXPECT_EQ(one, many) << "T=" << T << " (zero state)";
  }
}

// Scores: Dh-term dots; weights: softmax over n keys; output: n-term weighted sum of values.
// Both sides share the formula, so their gap is bounded by twice the oracle bound of
// kernels_test.cc: (8 gamma(Dh+2) + gamma(n+3)) * 4 * max|v|.
TEST_P(FastOps, AttentionMatchesReferenceForOddHeadsAndGroups) {
  ThreadPool pool(2);
  const int64_t Nq = 6, Nkv = 2, Dh = 40;
  for (int64_t P : {0, 37}) {
    const int64_t T = 20;
    auto q = Random(T * Nq * Dh, 9), k = Random((P + T) * Nkv * Dh, 10), v = Random((P + T) * Nkv * Dh, 11);
    std::vector<float> got(T * Nq * Dh), want(T * Nq * Dh);
    const float scale = 1.0f / std::sqrt(float(Dh));
    const float* kn = k.data() + P * Nkv * Dh;
    const float* vn = v.data() + P * Nkv * Dh;
    Attention(pool, q.data(), T, Nq, Dh, Nkv, k.data(), v.data(), P, kn, vn, scale, got.data());
    ref::Attention(q.data(), T, Nq, Dh, Nkv, k.data(), v.data(), P, kn, vn, scale, want.data());
    double vmax = 0;
    for (float e : v) vmax = std::max(vmax, double(std::fabs(e)));
    const double tol = 2 * (Gamma(Dh + 2) * 8 + Gamma(P + T + 3)) * vmax * 4;
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << "P=" << P << " i=" << i;
  }
}

}  // namespace
}  // namespace haloguard::kernels
