// Report: dotted keys nest in the JSON, the table lists every metric and note, Get returns the
// last value; Percentile; unknown sections are rejected.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "bench/bench.h"

namespace haloguard::bench {
namespace {

TEST(Report, JsonNestsDottedKeysAndTableListsAll) {
  Report r;
  r.Add("exact", "prefill.t64.tokens_per_s", 123.5, "tok/s");
  r.Add("exact", "prefill.t64.ms", 518, "ms");
  r.Add("machine", "fp32_fma.gflops", NAN, "GFLOP/s");
  r.Note("guard", "pending");
  const nlohmann::json j = nlohmann::json::parse(r.Json());
  EXPECT_DOUBLE_EQ(j["exact"]["prefill"]["t64"]["tokens_per_s"].get<double>(), 123.5);
  EXPECT_DOUBLE_EQ(j["exact"]["prefill"]["t64"]["ms"].get<double>(), 518);
  EXPECT_TRUE(j["machine"]["fp32_fma"]["gflops"].is_null());  // NaN is not JSON
  EXPECT_EQ(j["notes"]["guard"][0], "pending");
  const std::string table = r.Table();
  for (const char* s : {"== exact ==", "prefill.t64.tokens_per_s", "123.5 tok/s", "[guard] pending"}) {
    EXPECT_NE(table.find(s), std::string::npos) << s << "\n" << table;
  }
  EXPECT_DOUBLE_EQ(r.Get("exact", "prefill.t64.ms"), 518);
  EXPECT_TRUE(std::isnan(r.Get("exact", "missing")));
}

TEST(Report, PercentileInterpolatesBetweenOrderStatistics) {
  EXPECT_TRUE(std::isnan(Percentile({}, 0.5)));
  EXPECT_DOUBLE_EQ(Percentile({7}, 0.95), 7);
  // Sorted: 1 2 3 4 10. p50 is the middle one; p95 sits 0.8 of the way from 4 to 10 (pos 3.8).
  EXPECT_DOUBLE_EQ(Percentile({10, 2, 4, 1, 3}, 0.5), 3);
  EXPECT_DOUBLE_EQ(Percentile({10, 2, 4, 1, 3}, 0.95), 4 + 0.8 * 6);
  EXPECT_DOUBLE_EQ(Percentile({10, 2, 4, 1, 3}, 0.0), 1);
  EXPECT_DOUBLE_EQ(Percentile({10, 2, 4, 1, 3}, 1.0), 10);
}

TEST(Report, UnknownSectionIsAnError) {
  BenchOptions o;
  o.sections = {"no-such-section"};
  Report r;
  const Status s = RunBench(o, r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no-such-section"), std::string::npos);
}

}  // namespace
}  // namespace haloguard::bench
