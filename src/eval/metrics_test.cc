// Metric definitions against hand-computed cases and edge cases (no positives, one class only,
// empty input, ties at the threshold), and the O(log n) ranking against the O(n) count.
#include "eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "eval/calibration_metrics.h"

namespace haloguard::eval {
namespace {

// Ratios of small integer counts: the double division is correctly rounded, so the only
// difference from the exact fraction is that one rounding (half an ulp, < 1.2e-16 for values
// <= 1). kExact allows it.
constexpr double kExact = 1.2e-16;

std::vector<Scored> Make(std::initializer_list<std::pair<double, bool>> rows) {
  std::vector<Scored> out;
  for (const auto& [p, y] : rows) out.push_back({p, std::log(p / (1 - p)), y});
  return out;
}

TEST(Metrics, HandComputedConfusion) {
  const BinaryMetrics m = MetricsFromConfusion({.tp = 3, .fp = 1, .tn = 4, .fn = 2});
  EXPECT_NEAR(*m.precision, 0.75, kExact);
  EXPECT_NEAR(*m.recall, 0.6, kExact);
  EXPECT_NEAR(*m.f1, 2.0 / 3.0, kExact);  // 2*3 / (2*3 + 1 + 2)
  EXPECT_NEAR(*m.fpr, 0.2, kExact);
  EXPECT_NEAR(*m.fnr, 0.4, kExact);
  EXPECT_NEAR(*m.accuracy, 0.7, kExact);
}

TEST(Metrics, NoPositivesLeavesRecallUndefined) {
  // All safe, one false alarm: recall/FNR have no denominator; F1 = 0/(0+1+0) = 0 is defined.
  const BinaryMetrics m =
      MetricsFromConfusion(ConfusionAt(Make({{0.9, false}, {0.1, false}}), 0.65));
  EXPECT_FALSE(m.recall.has_value());
  EXPECT_FALSE(m.fnr.has_value());
  EXPECT_EQ(*m.precision, 0.0);
  EXPECT_EQ(*m.f1, 0.0);
  EXPECT_EQ(*m.fpr, 0.5);
  // All safe and nothing flagged: F1 and precision are 0/0, undefined rather than 0 or 1.
  const BinaryMetrics quiet = MetricsFromConfusion(ConfusionAt(Make({{0.1, false}}), 0.65));
  EXPECT_FALSE(quiet.f1.has_value());
  EXPECT_FALSE(quiet.precision.has_value());
  EXPECT_EQ(*quiet.fpr, 0.0);
  EXPECT_EQ(*quiet.accuracy, 1.0);
}

TEST(Metrics, AllUnsafeLeavesFprUndefined) {
  const BinaryMetrics m =
      MetricsFromConfusion(ConfusionAt(Make({{0.9, true}, {0.7, true}, {0.2, true}}), 0.65));
  EXPECT_FALSE(m.fpr.has_value());
  EXPECT_EQ(*m.precision, 1.0);
  EXPECT_NEAR(*m.recall, 2.0 / 3.0, kExact);
  EXPECT_NEAR(*m.f1, 0.8, kExact);  // 4 / (4 + 0 + 1)
}

TEST(Metrics, EmptyInputHasNoRates) {
  const BinaryMetrics m = MetricsFromConfusion(ConfusionAt({}, 0.65));
  EXPECT_EQ(m.counts.total(), 0);
  EXPECT_FALSE(m.f1 || m.precision || m.recall || m.fpr || m.fnr || m.accuracy);
  const ScoreRanking r(std::vector<Scored>{});
  EXPECT_FALSE(r.BestF1().has_value());
  EXPECT_FALSE(r.AveragePrecision().has_value());
  EXPECT_FALSE(r.RocAuc().has_value());
  EXPECT_TRUE(r.PrCurve().empty());
  EXPECT_EQ(r.Sweep(4).size(), 5u);
}

TEST(Metrics, TieAtThresholdIsFlagged) {
  // p_unsafe == threshold is unsafe (the card's `>=`), for the literal and the sweep's 65/100.
  const auto xs = Make({{0.65, true}, {0.65, false}, {0.6499999999999999, true}});
  const Confusion c = ConfusionAt(xs, 0.65);
  EXPECT_EQ(c.tp, 1);
  EXPECT_EQ(c.fp, 1);
  EXPECT_EQ(c.fn, 1);
  const ScoreRanking r(xs);
  EXPECT_EQ(r.At(0.65).tp, 1);
  EXPECT_EQ(r.At(0.65).fp, 1);
  const auto sweep = r.Sweep(100);
  EXPECT_EQ(sweep[65].threshold, 0.65);
  EXPECT_EQ(sweep[65].metrics.counts.tp, 1);
  EXPECT_EQ(sweep[0].metrics.counts.tp + sweep[0].metrics.counts.fp, 3);  // t = 0 flags all
}

TEST(Metrics, RankingMatchesDirectCount) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Scored> xs;
  for (int i = 0; i < 500; ++i) {
    // Coarse scores make many ties, the case where the binary search must land on run edges.
    const double p = std::round(u(rng) * 40) / 40;
    xs.push_back({p, 0, u(rng) < p});
  }
  const ScoreRanking r(xs);
  for (int k = 0; k <= 200; ++k) {
    const double t = k / 200.0;
    const Confusion a = r.At(t), b = ConfusionAt(xs, t);
    ASSERT_EQ(a.tp, b.tp) << t;
    ASSERT_EQ(a.fp, b.fp) << t;
    ASSERT_EQ(a.tn, b.tn) << t;
    ASSERT_EQ(a.fn, b.fn) << t;
  }
}

// Scores (label): 0.9 (U), 0.8 (S), 0.7 (U), 0.6 (U), 0.3 (S).
// Thresholds and F1 = 2TP/(2TP+FP+FN): 0.9 -> 2/4, 0.8 -> 2/5, 0.7 -> 4/6, 0.6 -> 6/7,
// 0.3 -> 6/8. PR points (R, P): (1/3, 1), (1/3, 1/2), (2/3, 2/3), (1, 3/4), (1, 3/5).
// AP = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/4 = 29/36. AUC: pairs (U > S) 4 of 6 = 2/3.
const auto kFive = [] {
  return Make({{0.9, true}, {0.8, false}, {0.7, true}, {0.6, true}, {0.3, false}});
};

TEST(Metrics, BestF1HandCase) {
  const auto best = ScoreRanking(kFive()).BestF1();
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->threshold, 0.6);
  EXPECT_NEAR(*best->metrics.f1, 6.0 / 7.0, kExact);
}

TEST(Metrics, BestF1TieGoesToHighestThreshold) {
  // Threshold 0.9: F1 = 2/(2+0+1) = 2/3; 0.5: 4/(4+2+0) = 2/3 as well. The higher one wins.
  const auto best =
      ScoreRanking(Make({{0.9, true}, {0.5, true}, {0.5, false}, {0.5, false}})).BestF1();
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->threshold, 0.9);
  EXPECT_NEAR(*best->metrics.f1, 2.0 / 3.0, kExact);
}

TEST(Metrics, PrCurveApAndAucHandCase) {
  const ScoreRanking r(kFive());
  const auto pr = r.PrCurve();
  ASSERT_EQ(pr.size(), 5u);
  const double want_r[] = {1.0 / 3, 1.0 / 3, 2.0 / 3, 1, 1};
  const double want_p[] = {1, 0.5, 2.0 / 3, 0.75, 0.6};
  for (size_t i = 0; i < pr.size(); ++i) {
    EXPECT_NEAR(pr[i].recall, want_r[i], kExact) << i;
    EXPECT_NEAR(pr[i].precision, want_p[i], kExact) << i;
  }
  // AP sums 3 products of exact-ish ratios: a few roundings, well below 1e-15.
  EXPECT_NEAR(*r.AveragePrecision(), 29.0 / 36.0, 1e-15);
  EXPECT_NEAR(*r.RocAuc(), 2.0 / 3.0, kExact);
}

TEST(Metrics, RocAucCountsTiesAsHalf) {
  // Pairs: (0.5 U, 0.5 S) tie -> 1/2; (0.5 U, 0.1 S) -> 1; (0.9 U, both) -> 2. 3.5 of 4.
  const ScoreRanking r(Make({{0.9, true}, {0.5, true}, {0.5, false}, {0.1, false}}));
  EXPECT_NEAR(*r.RocAuc(), 3.5 / 4.0, kExact);
  EXPECT_FALSE(ScoreRanking(Make({{0.9, true}})).RocAuc().has_value());
}

TEST(Metrics, ThinPrCurveKeepsEndsAndBound) {
  std::vector<PrPoint> curve;
  for (int i = 0; i < 2503; ++i) curve.push_back({1.0 - i / 2503.0, i / 2503.0, 0.5});
  const auto thin = ThinPrCurve(curve, 1000);
  // k = ceil(2503 / 999) = 3: 835 points, within [max/2, max] as for any n > max.
  EXPECT_LE(thin.size(), 1000u);
  EXPECT_EQ(thin.size(), 835u);
  EXPECT_EQ(thin.front().threshold, curve.front().threshold);
  EXPECT_EQ(thin.back().threshold, curve.back().threshold);
  EXPECT_EQ(ThinPrCurve(std::vector<PrPoint>(10), 1000).size(), 10u);
}

TEST(Metrics, MeanOfDefinedSkipsUndefined) {
  const std::vector<std::optional<double>> v = {0.5, std::nullopt, 1.0};
  EXPECT_EQ(*MeanOfDefined(v), 0.75);
  EXPECT_FALSE(MeanOfDefined(std::vector<std::optional<double>>{std::nullopt}).has_value());
}

TEST(CalibrationMetrics, HandComputedEceBrierNll) {
  // Bins of width 0.1: bin 0 {0.05 safe}: gap 0.05; bin 1 {0.15 unsafe}: gap 0.85;
  // bin 9 {0.95 unsafe, 0.95 safe}: gap |0.95 - 0.5| = 0.45.
  // ECE = (0.05 + 0.85 + 2 * 0.45) / 4 = 0.45; MCE = 0.85.
  // Brier = (0.05^2 + 0.85^2 + 0.05^2 + 0.95^2) / 4 = 1.63 / 4 = 0.4075.
  const auto xs = Make({{0.05, false}, {0.15, true}, {0.95, true}, {0.95, false}});
  const CalibrationSummary s = SummarizeCalibration(xs, 10);
  // Sums of 4 terms of magnitude <= 1: a few ulps.
  EXPECT_NEAR(*s.ece, 0.45, 1e-15);
  EXPECT_NEAR(*s.mce, 0.85, 1e-15);
  EXPECT_NEAR(*s.brier, 0.4075, 1e-15);
  // NLL = mean of -log p(label): -log 0.95, -log 0.15, -log 0.95, -log 0.05.
  const double nll = -(std::log(0.95) + std::log(0.15) + std::log(0.95) + std::log(0.05)) / 4;
  EXPECT_NEAR(*s.nll, nll, 1e-14);
  ASSERT_EQ(s.bins.size(), 10u);
  EXPECT_EQ(s.bins[9].count, 2);
  EXPECT_EQ(*s.bins[9].frac_unsafe, 0.5);
  EXPECT_FALSE(s.bins[5].mean_p.has_value());  // empty bin
}

TEST(CalibrationMetrics, ProbabilityOneLandsInLastBin) {
  const CalibrationSummary s =
      SummarizeCalibration(std::vector<Scored>{{1.0, 800, true}, {0.0, -800, false}}, 10);
  EXPECT_EQ(s.bins[9].count, 1);
  EXPECT_EQ(s.bins[0].count, 1);
  EXPECT_EQ(*s.ece, 0.0);
  EXPECT_EQ(*s.nll, 0.0);  // softplus(-800) underflows to exactly 0
  EXPECT_EQ(SummarizeCalibration({}, 10).count, 0);
  EXPECT_FALSE(SummarizeCalibration({}, 10).ece.has_value());
}

TEST(CalibrationMetrics, LogisticHelpersAreOverflowFree) {
  EXPECT_EQ(Softplus(-1000), 0.0);
  EXPECT_EQ(Softplus(1000), 1000.0);
  EXPECT_NEAR(Softplus(0), std::log(2.0), 1e-16);
  EXPECT_EQ(Sigmoid(1000), 1.0);
  EXPECT_EQ(Sigmoid(-1000), 0.0);
  EXPECT_EQ(Sigmoid(0), 0.5);
}

}  // namespace
}  // namespace haloguard::eval
