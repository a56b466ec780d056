// Report: dotted keys nest in the JSON, the table lists every metric and note, Get returns the
// last value.
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
