// MatMul on every target: the fp32 GEMM/GEMV paths against a float64 oracle over shapes that
// cross every blocking edge (row tiles, column panels, K blocks, GEMV/GEMM switch) with
// misaligned inputs; the int8 path bit-exact against its reference twin, and its accuracy cost
// within the derived quantisation bound.
#include <gtest/gtest.h>

#include <cmath>
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

// Weights stored as `dt`, and the fp32 values the kernels must see.
struct StoredWeights {
  std::vector<float> f32;
  std::vector<uint16_t> h16;
  std::vector<float> seen;
  WeightMatrix w;
  StoredWeights(DType dt, int64_t N, int64_t K, uint32_t seed) : f32(Random(N * K, seed, 0.2f)) {
    seen = f32;
    if (dt != DType::kF32) {
      h16.resize(f32.size());
      for (size_t i = 0; i < f32.size(); ++i) {
        h16[i] = dt == DType::kBF16 ? F32ToBf16(f32[i]) : F32ToF16(f32[i]);
        seen[i] = dt == DType::kBF16 ? Bf16ToF32(h16[i]) : F16ToF32(h16[i]);
      }
    }
    w = WeightMatrix{dt == DType::kF32 ? static_cast<const void*>(f32.data()) : h16.data(), dt, N, K};
  }
};

// BF16 weights, their int8 copy, and the matrix MatMul multiplies in int8 mode.
struct Int8Weights {
  StoredWeights sw;
  QuantizedMatrix q;
  WeightMatrix wq;
  Int8Weights(ThreadPool& pool, int64_t N, int64_t K, uint32_t seed)
      : sw(DType::kBF16, N, K, seed), q(QuantizeWeights(pool, sw.w)), wq(sw.w) {
    wq.int8 = &q;
  }
  Int8Weights(const Int8Weights&) = delete;  // wq points into q
  Int8Weights& operator=(const Int8Weights&) = delete;
};

struct Shape {
  int64_t T, N, K;
};

class MatMulTest : public ::testing::TestWithParam<Isa> {
 protected:
  ScopedIsa isa_{GetParam()};
  ThreadPool pool_{2};
};
INSTANTIATE_TEST_SUITE_P(Isas, MatMulTest, ::testing::ValuesIn(SupportedIsas()), IsaParamName);

// Each fp32 output is a K-term dot product: |fast - exact| <= gamma(K) * sum|x_k w_k| whatever
// the summation order (blocked, FMA or not), Higham §3.1.
TEST_P(MatMulTest, Fp32MatchesFloat64AcrossBlockingEdges) {
  const Shape shapes[] = {{1, 41, 67},  {3, 17, 300},  {4, 64, 256}, {5, 33, 1},   {13, 300, 33},
                          {14, 32, 16}, {15, 257, 513}, {29, 16, 64}, {33, 520, 100}, {2, 1, 7},
                          // both GEMM loop orders (tasks of <= 64 rows and larger), row tails
                          {57, 130, 300}, {64, 70, 513}, {65, 33, 256}, {130, 64, 40}, {71, 200, 37}};
  for (DType dt : {DType::kF32, DType::kBF16, DType::kF16}) {
    for (const Shape& s : shapes) {
      StoredWeights sw(dt, s.N, s.K, 12);
      std::vector<float> xbuf = Random(s.T * s.K + 1, 11);
      const float* x = xbuf.data() + 1;  // misaligned start
      std::vector<float> y(s.T * s.N + 1, NAN);
      MatMul(pool_, x, s.T, sw.w, y.data());
      for (int64_t t = 0; t < s.T; ++t)
        for (int64_t n = 0; n < s.N; ++n) {
          double exact = 0, abs_sum = 0;
          for (int64_t k = 0; k < s.K; ++k) {
            exact += double(x[t * s.K + k]) * sw.seen[n * s.K + k];
            abs_sum += std::fabs(double(x[t * s.K + k]) * sw.seen[n * s.K + k]);
          }
          ASSERT_NEAR(y[t * s.N + n], exact, ReductionTolerance(s.K, abs_sum))
              << DTypeName(dt) << " T=" << s.T << " N=" << s.N << " K=" << s.K << " t=" << t << " n=" << n;
        }
      EXPECT_TRUE(std::isnan(y[s.T * s.N])) << "wrote past the output";
    }
  }
}

// Batch invariance: a row's result must not depend on how many rows share the call (GEMV for
// T <= 4, GEMM row tiles of any height, row ranges split across tasks, the small- and the
// large-task loop orders) — bit for bit.
TEST_P(MatMulTest, RowsAreBitIdenticalWhateverTheBatch) {
  for (DType dt : {DType::kBF16, DType::kF32}) {
    const int64_t N = 300, K = 600, T = 130;
    StoredWeights sw(dt, N, K, 51);
    std::vector<float> x = Random(T * K, 52), all(T * N);
    MatMul(pool_, x.data(), T, sw.w, all.data());
    for (int64_t t0 : {0, 3, 17, 36, 60}) {
      for (int64_t n : {1, 2, 3, 4, 5, 14, 15, 29, 57, 64, 65, 70}) {
        if (t0 + n > T) continue;
        std::vector<float> part(n * N);
        MatMul(pool_, x.data() + t0 * K, n, sw.w, part.data());
        for (int64_t i = 0; i < n * N; ++i)
          ASSERT_EQ(part[i], all[t0 * N + i]) << DTypeName(dt) << " rows " << t0 << "+" << n << " i=" << i;
      }
    }
  }
}

// Every row count 1..130 (GEMV, every tile height, both GEMM loop orders and their chunks) over
// a K tail (300 = 256 + 44: the prefetcher's last, shorter block) and a column tail (70 = 2 x 32
// + 6): each call's rows equal the same rows of one 130-row call, bit for bit.
TEST_P(MatMulTest, EveryRowCountIsBitIdenticalOverKAndColumnTails) {
  const int64_t N = 70, K = 300, T = 130;
  StoredWeights sw(DType::kBF16, N, K, 61);
  std::vector<float> x = Random(T * K, 62), all(T * N);
  MatMul(pool_, x.data(), T, sw.w, all.data());
  for (int64_t n = 1; n <= T; ++n) {
    const int64_t t0 = (T - n) / 2;
    std::vector<float> part(n * N + 1, NAN);
    MatMul(pool_, x.data() + t0 * K, n, sw.w, part.data());
    for (int64_t i = 0; i < n * N; ++i) ASSERT_EQ(part[i], all[t0 * N + i]) << "rows " << t0 << "+" << n << " i=" << i;
    EXPECT_TRUE(std::isnan(part[n * N])) << "wrote past the output, rows " << n;
  }
}

// The int8 twin computes the same integers and the same float operations in the same order, so
// every target must agree with ref::MatMulInt8 bit for bit.
TEST_P(MatMulTest, Int8IsBitExactWithItsReference) {
  const Shape shapes[] = {{1, 40, 67}, {3, 33, 5}, {14, 64, 256}, {15, 300, 130}, {40, 1, 9}};
  for (const Shape& s : shapes) {
    const Int8Weights iw(pool_, s.N, s.K, 21);
    const QuantizedMatrix& q = iw.q;
    const WeightMatrix& wq = iw.wq;
    std::vector<float> x = Random(s.T * s.K, 22), y(s.T * s.N), want(s.T * s.N);
    x[0] = 0.0f;
    if (s.T > 1) std::fill(x.begin() + s.K, x.begin() + 2 * s.K, 0.0f);  // an all-zero row
    MatMul(pool_, x.data(), s.T, wq, y.data());
    ref::MatMulInt8(x.data(), s.T, q, want.data());
    for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], want[i]) << "T=" << s.T << " N=" << s.N << " i=" << i;
  }
}

// Every row count 1..130 (balanced tiles of every height; the panel-outer order with the next
// panel's prefetch up to 128 rows, the tile-outer one above) and a column tail (70 = 2 x 32 + 6),
// bit-exact against the reference: over a K tail (K4 = 300, not a multiple of 8 groups) and, for
// the AMX kernel where it runs (K4 a multiple of 64), at K = 320 with AMX on and off.
TEST_P(MatMulTest, Int8EveryRowCountIsBitExactOverTails) {
  const int64_t N = 70, T = 130;
  for (const int64_t K : {299, 320}) {
    for (const bool amx : {false, true}) {
      if (amx && !AmxInt8Supported()) continue;
      SetAmx(amx);
      const Int8Weights iw(pool_, N, K, 71);
      const QuantizedMatrix& q = iw.q;
      const WeightMatrix& wq = iw.wq;
      const std::vector<float> x = Random(T * K, 72);
      std::vector<float> want(T * N);
      ref::MatMulInt8(x.data(), T, q, want.data());
      for (int64_t n = 1; n <= T; ++n) {
        const int64_t t0 = (T - n) / 2;
        std::vector<float> y(n * N + 1, NAN);
        MatMul(pool_, x.data() + t0 * K, n, wq, y.data());
        for (int64_t i = 0; i < n * N; ++i)
          ASSERT_EQ(y[i], want[t0 * N + i]) << "K=" << K << " amx=" << amx << " rows " << t0 << "+" << n << " i=" << i;
        EXPECT_TRUE(std::isnan(y[n * N])) << "wrote past the output, rows " << n;
      }
    }
  }
  SetAmx(true);
}

TEST(Int8, QuantizedWeightsRoundTripWithinHalfAStep) {
  ThreadPool pool(2);
  const int64_t N = 37, K = 70;
  StoredWeights sw(DType::kF32, N, K, 31);
  sw.f32[5 * K + 3] = 0;  // keep an all-zero row too
  for (int64_t k = 0; k < K; ++k) sw.f32[7 * K + k] = 0;
  const QuantizedMatrix q = QuantizeWeights(pool, sw.w);
  ASSERT_EQ(q.rows, N);
  ASSERT_EQ(q.cols, K);
  EXPECT_EQ(q.Bytes(), size_t(64 * 72 + 8 * N));  // padded to 32-row panels, 4-column groups
  for (int64_t n = 0; n < N; ++n) {
    float amax = 0;
    int32_t sum = 0;
    for (int64_t k = 0; k < K; ++k) amax = std::max(amax, std::fabs(sw.f32[n * K + k]));
    EXPECT_EQ(q.scale[n], amax > 0 ? amax / 127.0f : 1.0f);
    for (int64_t k = 0; k < K; ++k) {
      const int8_t v = q.At(n, k);
      sum += v;
      EXPECT_LE(std::abs(int(v)), 127);
      // round to nearest: |w - sw * wq| <= sw / 2 (+ one rounding of the scaled value)
      EXPECT_NEAR(sw.f32[n * K + k], q.scale[n] * v, q.scale[n] * (0.5 + 1e-6)) << n << "," << k;
    }
    EXPECT_EQ(q.row_sum[n], sum);
  }
}

// Accuracy cost of int8 against the exact product: |x.w - (sx xq).(sw wq)| <=
// sum_k |x_k| |w_k - sw wq_k| + |x_k - sx xq_k| |sw wq_k| <= sw/2 sum|x| + sx/2 sum|sw wq|.
TEST_P(MatMulTest, Int8ErrorWithinQuantisationBound) {
  const int64_t T = 9, N = 70, K = 300;
  const Int8Weights iw(pool_, N, K, 41);
  const StoredWeights& sw = iw.sw;
  const QuantizedMatrix& q = iw.q;
  const WeightMatrix& wq = iw.wq;
  std::vector<float> x = Random(T * K, 42), y(T * N);
  MatMul(pool_, x.data(), T, wq, y.data());
  std::vector<int8_t> xq(K);
  for (int64_t t = 0; t < T; ++t) {
    const float sx = ref::QuantizeRow(x.data() + t * K, K, xq.data());
    for (int64_t n = 0; n < N; ++n) {
      double exact = 0, sum_x = 0, sum_w = 0, sum_hat = 0;
      for (int64_t k = 0; k < K; ++k) {
        exact += double(x[t * K + k]) * sw.seen[n * K + k];
        sum_x += std::fabs(x[t * K + k]);
        sum_w += std::fabs(double(q.scale[n]) * q.At(n, k));
        sum_hat += std::fabs(double(sx) * xq[k] * q.scale[n] * q.At(n, k));
      }
      // Half a quantisation step on each side (1e-5 relative slack for the rounded scaled
      // values), plus the fp32 scale products and int->float conversion: gamma(4) relative.
      const double bound = (q.scale[n] / 2 * sum_x + sx / 2 * sum_w) * (1 + 1e-5) + Gamma(4) * sum_hat;
      ASSERT_NEAR(y[t * N + n], exact, bound) << t << "," << n;
    }
  }
}

}  // namespace
}  // namespace haloguard::kernels
