// MatMul's bf16 compute mode (w.bf16_compute): the AVX512_BF16 kernel and, where it runs, the
// AMX-BF16 one against their float64 reference twin (ref::MatMulBf16) within each one's derived
// fp32-accumulation bound, batch invariance bit for bit, and the exact fallback where the mode
// does not run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/bf16.h"
#include "core/tolerance.h"
#include "kernels/cpu/ops.h"
#include "kernels/kernels.h"
#include "kernels/reference/reference.h"
#include "kernels/test_util.h"

namespace haloguard::kernels {
namespace {

using testing::Random;
using testing::ScopedIsa;

struct Bf16Weights {
  std::vector<uint16_t> h16;
  WeightMatrix w;
  Bf16Weights(int64_t N, int64_t K, uint32_t seed) {
    for (float v : Random(N * K, seed, 0.2f)) h16.push_back(F32ToBf16(v));
    w = WeightMatrix{h16.data(), DType::kBF16, N, K};
    w.bf16_compute = true;
  }
};

// The mode runs only under the avx512 ISA; each test selects it for its duration.
#define REQUIRE_BF16()                                         \
  if (!IsaSupported(Isa::kAvx512)) GTEST_SKIP() << "no avx512"; \
  ScopedIsa isa(Isa::kAvx512);                                 \
  if (!Bf16ComputeSupported()) GTEST_SKIP() << "no AVX512_BF16 on this CPU"

// The kernels this machine runs: vdpbf16ps (AMX off) and, if supported, AMX-BF16.
std::vector<bool> AmxSettings() {
  std::vector<bool> v = {false};
  if (AmxBf16Supported()) v.push_back(true);
  return v;
}

// Restores AMX (on by default) when a test ends.
struct ScopedAmx {
  explicit ScopedAmx(bool on) { SetAmx(on); }
  ~ScopedAmx() { SetAmx(true); }
};

// Every term bf16(x) * w is exact in fp32 (8 + 8 significant bits). vdpbf16ps: each of the 16
// lanes adds two terms per 32 columns (K/16 rounded additions), then a 4-level horizontal sum and
// the reference's own final rounding: |fast - ref| <= gamma(ceil(K/16) + 5) * sum|terms|. AMX:
// the tile adds the K terms one by one (K rounded additions, in an order the hardware fixes):
// gamma(K + 1) * sum|terms|, the bound of any summation order.
TEST(Bf16Compute, MatchesItsReferenceAcrossEdges) {
  REQUIRE_BF16();
  for (const bool amx : AmxSettings()) {
  ScopedAmx scoped(amx);
  ThreadPool pool(2);
  struct Shape { int64_t T, N, K; };
  for (const Shape& s : {Shape{1, 41, 67}, Shape{3, 17, 300}, Shape{4, 64, 256}, Shape{5, 33, 1},
                         Shape{13, 300, 33}, Shape{15, 257, 513}, Shape{40, 130, 1024}, Shape{2, 3, 64},
                         Shape{7, 6, 95}, Shape{130, 5, 40}}) {
    Bf16Weights bw(s.N, s.K, 7);
    std::vector<float> xbuf = Random(s.T * s.K + 1, 8);
    const float* x = xbuf.data() + 1;  // misaligned start
    std::vector<float> y(s.T * s.N + 1, NAN), want(s.T * s.N);
    MatMul(pool, x, s.T, bw.w, y.data());
    ref::MatMulBf16(x, s.T, bw.w, want.data());
    const double g = Gamma(amx ? static_cast<double>(s.K + 1) : static_cast<double>((s.K + 15) / 16 + 5));
    for (int64_t t = 0; t < s.T; ++t)
      for (int64_t n = 0; n < s.N; ++n) {
        double abs_sum = 0;
        for (int64_t k = 0; k < s.K; ++k)
          abs_sum += std::fabs(double(Bf16ToF32(F32ToBf16(x[t * s.K + k]))) *
                               Bf16ToF32(bw.h16[n * s.K + k]));
        ASSERT_NEAR(y[t * s.N + n], want[t * s.N + n], g * abs_sum)
            << "amx=" << amx << " T=" << s.T << " N=" << s.N << " K=" << s.K << " t=" << t << " n=" << n;
      }
    EXPECT_TRUE(std::isnan(y[s.T * s.N])) << "wrote past the output";
  }
  }
}

// {bf16-compute result, exact result} of random x [T, K] times random BF16 W [N, K].
std::pair<std::vector<float>, std::vector<float>> Bf16AndExact(int64_t T, int64_t N, int64_t K, uint32_t seed) {
  ThreadPool pool(2);
  Bf16Weights bw(N, K, seed);
  WeightMatrix exact = bw.w;
  exact.bf16_compute = false;
  std::vector<float> x = Random(T * K, seed + 1), a(T * N), b(T * N);
  MatMul(pool, x.data(), T, bw.w, a.data());
  MatMul(pool, x.data(), T, exact, b.data());
  return {a, b};
}

// The mode really runs: activations rounded to bf16 change some outputs against exact fp32.
TEST(Bf16Compute, DiffersFromExact) {
  REQUIRE_BF16();
  const auto [a, b] = Bf16AndExact(8, 64, 256, 3);
  EXPECT_NE(a, b);
}

// A row's logits-to-be must not depend on the batch: any rows [t0, t0 + n) alone equal the same
// rows of one 130-row call, bit for bit, with 1 or 2 threads.
TEST(Bf16Compute, RowsAreBitIdenticalWhateverTheBatch) {
  REQUIRE_BF16();
  for (const bool amx : AmxSettings()) {
  ScopedAmx scoped(amx);
  const int64_t N = 301, K = 600, T = 130;
  Bf16Weights bw(N, K, 51);
  std::vector<float> x = Random(T * K, 52), all(T * N);
  ThreadPool pool2(2), pool1(1);
  MatMul(pool2, x.data(), T, bw.w, all.data());
  for (ThreadPool* pool : {&pool1, &pool2})
    for (int64_t t0 : {0, 3, 17, 36, 61})
      for (int64_t n : {1, 2, 3, 4, 5, 14, 15, 57, 69}) {
        if (t0 + n > T) continue;
        std::vector<float> part(n * N);
        MatMul(*pool, x.data() + t0 * K, n, bw.w, part.data());
        for (int64_t i = 0; i < n * N; ++i)
          ASSERT_EQ(part[i], all[t0 * N + i]) << "amx=" << amx << " rows " << t0 << "+" << n << " i=" << i;
      }
  }
}

// The vector rounding of activations equals F32ToBf16 bit for bit: ties to even both ways, the
// largest finite values (rounding up to inf), inf, NaN (made quiet), subnormals (not flushed),
// signed zeros; row tails of every length up to 32 and the zero padding to K32.
TEST(Bf16Compute, VectorRoundingEqualsTheScalarOne) {
  REQUIRE_BF16();
  const cpu::Bf16RoundFn round = cpu::Bf16RoundRow();
  ASSERT_NE(round, nullptr);
  std::vector<uint32_t> bits = {0x3f808000u, 0x3f818000u, 0x3f80c000u, 0x7f7fffffu, 0xff7fffffu, 0x7f800000u,
                                0xff800000u, 0x7fc00001u, 0x7f800001u, 0xffa00000u, 0x00000001u, 0x807fffffu,
                                0x00008000u, 0x00018000u, 0x80000000u, 0u};
  for (float v : Random(200, 9, 1e3f)) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    bits.push_back(u);
  }
  std::vector<float> x(bits.size());
  std::memcpy(x.data(), bits.data(), bits.size() * 4);
  for (int64_t K : {int64_t{1}, int64_t{15}, int64_t{16}, int64_t{17}, int64_t{31}, int64_t{32}, int64_t{33},
                    static_cast<int64_t>(x.size())}) {
    const int64_t K32 = cpu::RoundUp(K, 32);
    std::vector<uint16_t> got(K32, 0xbeef);
    round(x.data(), K, got.data(), K32);
    for (int64_t k = 0; k < K32; ++k)
      ASSERT_EQ(got[k], k < K ? F32ToBf16(x[k]) : 0) << "K=" << K << " k=" << k << " bits=" << std::hex << bits[k % bits.size()];
  }
}

// Where the mode does not run (portable/avx2 ISA, or a CPU without AVX512_BF16), a bf16_compute
// weight is multiplied exactly: bit-identical to the same weight without the flag.
TEST(Bf16Compute, FallsBackToExactWhereUnsupported) {
  ScopedIsa isa(Isa::kPortable);
  EXPECT_FALSE(Bf16ComputeSupported());
  const auto [a, b] = Bf16AndExact(6, 33, 100, 5);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace haloguard::kernels
