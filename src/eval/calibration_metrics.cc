// ECE / MCE / Brier / NLL and the reliability table (see calibration_metrics.h).
#include "eval/calibration_metrics.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace haloguard::eval {

double Softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

double Sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

CalibrationSummary SummarizeCalibration(std::span<const Scored> xs, int num_bins) {
  HG_CHECK(num_bins >= 1) << "SummarizeCalibration: num_bins must be >= 1, got " << num_bins;
  CalibrationSummary s;
  s.count = static_cast<int64_t>(xs.size());
  if (xs.empty()) return s;
  std::vector<double> sum_p(static_cast<size_t>(num_bins), 0.0);
  std::vector<int64_t> count(static_cast<size_t>(num_bins), 0),
      pos(static_cast<size_t>(num_bins), 0);
  double brier = 0, nll = 0;
  for (const Scored& x : xs) {
    const auto b = static_cast<size_t>(
        std::clamp(static_cast<int>(std::floor(x.p_unsafe * num_bins)), 0, num_bins - 1));
    sum_p[b] += x.p_unsafe;
    ++count[b];
    pos[b] += x.unsafe ? 1 : 0;
    const double y = x.unsafe ? 1.0 : 0.0;
    brier += (x.p_unsafe - y) * (x.p_unsafe - y);
    nll += LogLoss(x.logit, x.unsafe);
  }
  const double n = static_cast<double>(xs.size());
  double ece = 0, mce = 0;
  for (size_t b = 0; b < static_cast<size_t>(num_bins); ++b) {
    ReliabilityBin bin;
    bin.lower = static_cast<double>(b) / num_bins;
    bin.upper = static_cast<double>(b + 1) / num_bins;
    bin.count = count[b];
    if (count[b] > 0) {
      bin.mean_p = sum_p[b] / static_cast<double>(count[b]);
      bin.frac_unsafe = static_cast<double>(pos[b]) / static_cast<double>(count[b]);
      const double gap = std::abs(*bin.mean_p - *bin.frac_unsafe);
      ece += static_cast<double>(count[b]) / n * gap;
      mce = std::max(mce, gap);
    }
    s.bins.push_back(bin);
  }
  s.ece = ece;
  s.mce = mce;
  s.brier = brier / n;
  s.nll = nll / n;
  return s;
}

}  // namespace haloguard::eval
