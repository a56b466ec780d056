// Tests for StatsHistory and HistogramQuantile: quantiles derived by hand from Prometheus'
// histogram_quantile rule (linear inside the bucket holding rank q*total), per-interval deltas,
// the one-snapshot-per-second rule and the keep horizon.
#include "server/stats.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace haloguard::server {
namespace {

using nlohmann::json;

TEST(HistogramQuantile, InterpolatesInsideTheBucketLikePrometheus) {
  const std::vector<double> bounds = {0.1, 0.2, 0.4};
  // 10 observations: 2 in (0, 0.1], 6 in (0.1, 0.2], 2 in (0.2, 0.4], 0 above.
  const std::vector<uint64_t> counts = {2, 8, 10, 10};
  // rank 5 lies 3 of 6 into (0.1, 0.2] -> 0.15; rank 9.5 lies 1.5 of 2 into (0.2, 0.4] -> 0.35.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, bounds, counts), 0.15);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.95, bounds, counts), 0.35);
  // rank 1 lies 1 of 2 into the first bucket, which starts at 0 -> 0.05.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.1, bounds, counts), 0.05);
  // Ranks in +Inf answer the highest finite bound; no data answers -1.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.95, bounds, {0, 0, 0, 4}), 0.4);
  EXPECT_EQ(HistogramQuantile(0.5, bounds, {0, 0, 0, 0}), -1);
}

StatsSnapshot Snap(double t, double requests, std::vector<uint64_t> latency, double safe,
                   double unsafe, double batches, double sequences) {
  StatsSnapshot s;
  s.t = t;
  s.requests = requests;
  s.latency = std::move(latency);
  s.safe = safe;
  s.unsafe = unsafe;
  s.batches = batches;
  s.batch_sequences = sequences;
  return s;
}

TEST(StatsHistory, PointsAreDeltasBetweenSnapshots) {
  StatsHistory h({0.1, 0.2, 0.4});
  h.Add(Snap(100, 0, {0, 0, 0, 0}, 0, 0, 0, 0));
  h.Add(Snap(100.5, 9, {9, 9, 9, 9}, 9, 0, 9, 9));  // < 1 s after: dropped
  StatsSnapshot b = Snap(102, 4, {2, 4, 4, 4}, 3, 1, 2, 4);
  b.categories["fraud"] = 1;
  b.queue_depth = 5;
  h.Add(b);
  h.Add(Snap(104, 10, {2, 4, 10, 10}, 8, 2, 5, 10));
  const json j = json::parse(h.RenderJson(600));
  ASSERT_EQ(j["points"].size(), 2u);
  const json& p0 = j["points"][0];
  EXPECT_DOUBLE_EQ(p0["dt"].get<double>(), 2);
  EXPECT_DOUBLE_EQ(p0["requests_per_s"].get<double>(), 2);
  EXPECT_DOUBLE_EQ(p0["latency_p50_s"].get<double>(), 0.1);   // rank 2 = the top of (0, 0.1]
  EXPECT_DOUBLE_EQ(p0["batch_size_mean"].get<double>(), 2);   // 4 sequences / 2 batches
  EXPECT_EQ(p0["categories"]["fraud"], 1);
  EXPECT_EQ(p0["queue_depth"], 5);
  const json& p1 = j["points"][1];
  EXPECT_DOUBLE_EQ(p1["requests_per_s"].get<double>(), 3);    // 6 requests in 2 s
  EXPECT_DOUBLE_EQ(p1["latency_p50_s"].get<double>(), 0.3);   // 6 in (0.2, 0.4]: rank 3 of 6
  EXPECT_EQ(p1["categories"].size(), 0u);
  const json& t = j["totals"];
  EXPECT_EQ(t["requests"], 10);
  EXPECT_EQ(t["safe"], 8);
  EXPECT_EQ(t["unsafe"], 2);
  EXPECT_DOUBLE_EQ(t["batch_size_mean"].get<double>(), 2);
  // A window of 1.5 s keeps only the last interval.
  const json w = json::parse(h.RenderJson(1.5));
  ASSERT_EQ(w["points"].size(), 1u);
  EXPECT_EQ(w["totals"]["requests"], 6);
}

TEST(StatsHistory, ForgetsSnapshotsPastTheHorizonAndSaysNullWithoutData) {
  StatsHistory h({1}, /*keep_s=*/10);
  for (int i = 0; i <= 30; ++i) h.Add(Snap(i, 0, {0, 0}, 0, 0, 0, 0));
  const json j = json::parse(h.RenderJson(1000));
  // Snapshots from t = 19 (one before the horizon 20) to 30: 11 intervals.
  EXPECT_EQ(j["points"].size(), 11u);
  EXPECT_TRUE(j["points"][0]["latency_p50_s"].is_null());
  EXPECT_TRUE(j["totals"]["batch_size_mean"].is_null());
  EXPECT_EQ(json::parse(StatsHistory({1}).RenderJson(60))["points"].size(), 0u);
}

}  // namespace
}  // namespace haloguard::server
