// Unit tests for core: Status/StatusOr, UTF-8 validation, dtype conversions, ThreadPool, files.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/bf16.h"
#include "core/dtype.h"
#include "core/mapped_file.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "core/utf8.h"

namespace haloguard {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

Status UseHalf(int x, int* out) {
  HG_ASSIGN_OR_RETURN(int h, Half(x));
  *out = h;
  return OkStatus();
}

TEST(Status, OkAndErrors) {
  int v = 0;
  EXPECT_TRUE(UseHalf(4, &v).ok());
  EXPECT_EQ(v, 2);
  Status s = UseHalf(3, &v);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.ToString(), "INVALID_ARGUMENT: odd: 3");
  EXPECT_EQ(s.WithPrefix("ctx").message(), "ctx: odd: 3");
}

TEST(Utf8, ValidatesTable37) {
  EXPECT_TRUE(ValidateUtf8("hello \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80").ok());
  EXPECT_FALSE(ValidateUtf8("\xC0\xAF").ok());          // overlong
  EXPECT_FALSE(ValidateUtf8("\xED\xA0\x80").ok());      // surrogate
  EXPECT_FALSE(ValidateUtf8("\xF4\x90\x80\x80").ok());  // > U+10FFFF
  EXPECT_FALSE(ValidateUtf8("abc\xE2\x82").ok());       // truncated
  Status s = ValidateUtf8("ab\xFF");
  EXPECT_NE(s.message().find("byte offset 2"), std::string::npos) << s.message();
}

TEST(Utf8, SanitizeMatchesPythonReplace) {
  // b'a\xe2\x82b\xff'.decode('utf-8','replace') == 'a\ufffdb\ufffd'
  EXPECT_EQ(SanitizeUtf8("a\xE2\x82" "b\xFF"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  // b'\xf0\x9f\x98'.decode(..,'replace') is one U+FFFD (maximal subpart).
  EXPECT_EQ(SanitizeUtf8("\xF0\x9F\x98"), "\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Utf8, RoundTripsCodePoints) {
  for (uint32_t cp : {0x24u, 0xA2u, 0x20ACu, 0x10348u, 0x10FFFFu}) {
    std::string s;
    AppendUtf8(cp, s);
    size_t i = 0;
    EXPECT_EQ(DecodeUtf8(s, i), cp);
    EXPECT_EQ(i, s.size());
  }
}

TEST(Bf16, RoundTripAndRounding) {
  EXPECT_EQ(Bf16ToF32(F32ToBf16(1.0f)), 1.0f);
  EXPECT_EQ(Bf16ToF32(F32ToBf16(-2.5f)), -2.5f);
  // 1 + 2^-8 is exactly half-way between two bf16 values: ties to even (1.0).
  EXPECT_EQ(Bf16ToF32(F32ToBf16(1.0f + std::ldexp(1.0f, -8))), 1.0f);
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(NAN))));
}

TEST(F16, RoundTripAndSpecials) {
  for (float f : {0.0f, 1.0f, -3.140625f, 65504.0f, std::ldexp(1.0f, -24), std::ldexp(1.0f, -14)})
    EXPECT_EQ(F16ToF32(F32ToF16(f)), f) << f;
  EXPECT_TRUE(std::isinf(F16ToF32(F32ToF16(1e6f))));
  EXPECT_EQ(F16ToF32(0x3C00), 1.0f);
}

TEST(DType, Names) {
  EXPECT_EQ(DTypeFromName("BF16"), DType::kBF16);
  EXPECT_EQ(DTypeSize(DType::kF16), 2u);
  EXPECT_EQ(DTypeFromName("Q4"), DType::kUnknown);
}

TEST(ThreadPool, RunsEveryTaskOnce) {
  ThreadPool pool(3);
  for (int rep = 0; rep < 50; ++rep) {
    std::vector<std::atomic<int>> hits(97);
    pool.Run(97, [&](int t, int thread) {
      ASSERT_GE(thread, 0);
      ASSERT_LT(thread, 3);
      hits[t].fetch_add(1);
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, ParallelForCoversRangeAndNests) {
  ThreadPool pool(2);
  std::vector<int> v(1000, 0);
  pool.ParallelFor(0, 1000, 7, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) v[i] += 1;
    pool.Run(2, [](int, int) {});  // nested call runs inline
  });
  EXPECT_EQ(std::accumulate(v.begin(), v.end(), 0), 1000);
}

// More threads than cores, thousands of tiny jobs back to back, concurrent callers: every task
// runs exactly once per job, each thread index is used by one thread at a time, and jobs never
// leak into each other (a late-waking worker may only claim tasks of the current job).
TEST(ThreadPool, ManyTinyJobsOversubscribedAndConcurrentCallers) {
  ThreadPool pool(8);
  auto caller = [&](int seed) {
    for (int rep = 0; rep < 2000; ++rep) {
      const int n = 1 + (rep * 7 + seed) % 13;
      std::vector<std::atomic<int>> hits(n);
      std::vector<std::atomic<int>> busy(8);
      pool.Run(n, [&](int t, int thread) {
        ASSERT_EQ(busy[thread].fetch_add(1), 0) << "thread index " << thread << " used twice at once";
        hits[t].fetch_add(1);
        busy[thread].fetch_sub(1);
      });
      for (auto& h : hits) ASSERT_EQ(h.load(), 1);
    }
  };
  std::thread other(caller, 5);
  caller(0);
  other.join();
}

TEST(MappedFile, ErrorsAreClear) {
  auto r = MappedFile::Open("/nonexistent/file");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  auto d = MappedFile::Open("/");
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
}

TEST(MappedFile, WriteAtomicThenRead) {
  std::string path = ::testing::TempDir() + "/hg_core_test.txt";
  ASSERT_TRUE(WriteFileAtomic(path, "abc").ok());
  auto s = ReadFileToString(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "abc");
  EXPECT_EQ(ReadFileToString(path, 2).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace haloguard
