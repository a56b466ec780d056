// Binary metrics, sweeps and ranking metrics (see metrics.h).
#include "eval/metrics.h"

#include <algorithm>
#include <numeric>

#include "core/check.h"

namespace haloguard::eval {
namespace {

std::optional<double> Ratio(int64_t num, int64_t den) {
  if (den == 0) return std::nullopt;
  return static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace

BinaryMetrics MetricsFromConfusion(const Confusion& c) {
  BinaryMetrics m;
  m.counts = c;
  m.precision = Ratio(c.tp, c.tp + c.fp);
  m.recall = Ratio(c.tp, c.positives());
  m.f1 = Ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
  m.fpr = Ratio(c.fp, c.negatives());
  m.fnr = Ratio(c.fn, c.positives());
  m.accuracy = Ratio(c.tp + c.tn, c.total());
  return m;
}

Confusion ConfusionAt(std::span<const Scored> xs, double threshold) {
  Confusion c;
  for (const Scored& x : xs) {
    const bool flagged = x.p_unsafe >= threshold;
    if (x.unsafe)
      (flagged ? c.tp : c.fn)++;
    else
      (flagged ? c.fp : c.tn)++;
  }
  return c;
}

ScoreRanking::ScoreRanking(std::span<const Scored> xs) {
  std::vector<size_t> order(xs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return xs[a].p_unsafe > xs[b].p_unsafe; });
  sorted_p_.reserve(xs.size());
  cum_pos_.assign(xs.size() + 1, 0);
  for (size_t k = 0; k < order.size(); ++k) {
    const Scored& x = xs[order[k]];
    sorted_p_.push_back(x.p_unsafe);
    cum_pos_[k + 1] = cum_pos_[k] + (x.unsafe ? 1 : 0);
    if (k + 1 == order.size() || xs[order[k + 1]].p_unsafe != x.p_unsafe) {
      distinct_ends_.push_back(k + 1);
    }
  }
  num_pos_ = cum_pos_.back();
  num_neg_ = static_cast<int64_t>(xs.size()) - num_pos_;
}

size_t ScoreRanking::CountAtOrAbove(double threshold) const {
  // First element (descending order) that is < threshold.
  const auto it = std::lower_bound(sorted_p_.begin(), sorted_p_.end(), threshold,
                                   [](double p, double t) { return p >= t; });
  return static_cast<size_t>(it - sorted_p_.begin());
}

Confusion ScoreRanking::ConfusionForTop(size_t k) const {
  Confusion c;
  c.tp = cum_pos_[k];
  c.fp = static_cast<int64_t>(k) - c.tp;
  c.fn = num_pos_ - c.tp;
  c.tn = num_neg_ - c.fp;
  return c;
}

Confusion ScoreRanking::At(double threshold) const {
  return ConfusionForTop(CountAtOrAbove(threshold));
}

std::vector<ThresholdPoint> ScoreRanking::Sweep(int steps) const {
  HG_CHECK(steps >= 1) << "Sweep: steps must be >= 1, got " << steps;
  std::vector<ThresholdPoint> out;
  out.reserve(static_cast<size_t>(steps) + 1);
  for (int k = 0; k <= steps; ++k) {
    const double t = static_cast<double>(k) / static_cast<double>(steps);
    out.push_back({t, MetricsFromConfusion(At(t))});
  }
  return out;
}

std::optional<ThresholdPoint> ScoreRanking::BestF1() const {
  if (num_pos_ == 0) return std::nullopt;
  std::optional<ThresholdPoint> best;
  for (size_t end : distinct_ends_) {
    BinaryMetrics m = MetricsFromConfusion(ConfusionForTop(end));
    // Strictly greater: the first (highest) threshold reaching the best F1 is kept.
    if (!best || *m.f1 > *best->metrics.f1) best = ThresholdPoint{sorted_p_[end - 1], m};
  }
  return best;
}

std::vector<PrPoint> ScoreRanking::PrCurve() const {
  std::vector<PrPoint> out;
  if (num_pos_ == 0) return out;
  out.reserve(distinct_ends_.size());
  for (size_t end : distinct_ends_) {
    const Confusion c = ConfusionForTop(end);
    out.push_back({sorted_p_[end - 1], static_cast<double>(c.tp) / static_cast<double>(num_pos_),
                   static_cast<double>(c.tp) / static_cast<double>(end)});
  }
  return out;
}

std::optional<double> ScoreRanking::AveragePrecision() const {
  if (num_pos_ == 0) return std::nullopt;
  double ap = 0, prev_recall = 0;
  for (const PrPoint& p : PrCurve()) {
    ap += (p.recall - prev_recall) * p.precision;
    prev_recall = p.recall;
  }
  return ap;
}

std::optional<double> ScoreRanking::RocAuc() const {
  if (num_pos_ == 0 || num_neg_ == 0) return std::nullopt;
  // Walk runs of equal scores from the top; negatives strictly below a run are those not yet seen.
  double wins = 0;
  size_t start = 0;
  for (size_t end : distinct_ends_) {
    const int64_t pos = cum_pos_[end] - cum_pos_[start];
    const int64_t neg = static_cast<int64_t>(end - start) - pos;
    const int64_t neg_below = num_neg_ - ConfusionForTop(end).fp;
    wins += static_cast<double>(pos) *
            (static_cast<double>(neg_below) + 0.5 * static_cast<double>(neg));
    start = end;
  }
  return wins / (static_cast<double>(num_pos_) * static_cast<double>(num_neg_));
}

std::vector<PrPoint> ThinPrCurve(const std::vector<PrPoint>& curve, size_t max_points) {
  HG_CHECK(max_points >= 2) << "ThinPrCurve: max_points must be >= 2, got " << max_points;
  if (curve.size() <= max_points) return curve;
  const size_t k = (curve.size() + max_points - 2) / (max_points - 1);
  std::vector<PrPoint> out;
  for (size_t i = 0; i < curve.size(); i += k) out.push_back(curve[i]);
  if (out.back().threshold != curve.back().threshold) out.push_back(curve.back());
  return out;
}

std::optional<double> MeanOfDefined(std::span<const std::optional<double>> values) {
  double sum = 0;
  int n = 0;
  for (const auto& v : values) {
    if (!v) continue;
    sum += *v;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

}  // namespace haloguard::eval
