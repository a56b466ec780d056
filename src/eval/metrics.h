// Binary safety metrics with "unsafe" as the positive class: confusion counts and the card's
// rates at a threshold, threshold sweeps, the best-F1 threshold, the PR curve, AP and ROC AUC.
// A prompt is predicted unsafe iff p_unsafe >= threshold (the card's rule; ties are unsafe).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace haloguard::eval {

// One scored prompt as the metric code sees it.
struct Scored {
  double p_unsafe = 0;  // in [0, 1]
  double logit = 0;     // log(p_unsafe / p_safe), the unsafe-vs-safe logit
  bool unsafe = false;  // gold label
};

struct Confusion {
  int64_t tp = 0, fp = 0, tn = 0, fn = 0;
  int64_t positives() const { return tp + fn; }
  int64_t negatives() const { return fp + tn; }
  int64_t total() const { return tp + fp + tn + fn; }
};

// Rates as fractions in [0, 1]. A rate whose denominator is 0 is nullopt (undefined), never 0:
// precision needs a predicted positive, recall/FNR a positive, FPR a negative, F1 = 2TP /
// (2TP + FP + FN) a positive or a predicted positive, accuracy any row.
struct BinaryMetrics {
  Confusion counts;
  std::optional<double> precision, recall, f1, fpr, fnr, accuracy;
};
BinaryMetrics MetricsFromConfusion(const Confusion& c);

// Confusion counts at `threshold`, O(n).
Confusion ConfusionAt(std::span<const Scored> xs, double threshold);

struct ThresholdPoint {
  double threshold = 0;
  BinaryMetrics metrics;
};

struct PrPoint {
  double threshold = 0;  // predict unsafe iff p_unsafe >= threshold
  double recall = 0;
  double precision = 0;
};

// The scores sorted once (descending) with cumulative label counts, so that any threshold is
// answered in O(log n). Holds copies; thread-compatible.
class ScoreRanking {
 public:
  explicit ScoreRanking(std::span<const Scored> xs);

  int64_t positives() const { return num_pos_; }
  int64_t negatives() const { return num_neg_; }
  Confusion At(double threshold) const;
  // Thresholds k / steps for k = 0..steps (steps >= 1), computed as a division so that 0.65 is
  // the same double as the literal.
  std::vector<ThresholdPoint> Sweep(int steps) const;
  // The threshold with the highest F1 among every distinct score (the only thresholds where F1
  // can change); ties go to the highest threshold (fewest flags). nullopt without positives.
  std::optional<ThresholdPoint> BestF1() const;
  // One point per distinct score, highest threshold first (recall non-decreasing). Empty
  // without positives.
  std::vector<PrPoint> PrCurve() const;
  // Average precision, sum over distinct thresholds of (R_k - R_{k-1}) * P_k with R_0 = 0 (the
  // step-wise area, no interpolation). nullopt without positives.
  std::optional<double> AveragePrecision() const;
  // Area under the ROC curve = P(score of a random unsafe > score of a random safe), ties
  // counted 1/2 (Mann-Whitney). nullopt unless both classes are present.
  std::optional<double> RocAuc() const;

 private:
  // Number of rows with p_unsafe >= threshold.
  size_t CountAtOrAbove(double threshold) const;
  Confusion ConfusionForTop(size_t k) const;

  std::vector<double> sorted_p_;       // descending
  std::vector<int64_t> cum_pos_;       // cum_pos_[k] = positives among the top k rows
  std::vector<size_t> distinct_ends_;  // end index of each run of equal scores
  int64_t num_pos_ = 0, num_neg_ = 0;
};

// At most `max_points` (>= 2) points of `curve`: every k-th, k = ceil(n / (max_points - 1)),
// always keeping the last, so that plots and report.json stay small for large datasets.
std::vector<PrPoint> ThinPrCurve(const std::vector<PrPoint>& curve, size_t max_points);

// Mean of the defined values; nullopt if none is defined.
std::optional<double> MeanOfDefined(std::span<const std::optional<double>> values);

}  // namespace haloguard::eval
