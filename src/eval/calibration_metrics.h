// Probability-quality metrics of p_unsafe: expected calibration error with its reliability
// table, Brier score and log loss (NLL), plus the numerically stable logistic helpers they use.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "eval/metrics.h"

namespace haloguard::eval {

// Equal-width bin [lower, upper) of p_unsafe; the last bin also holds p_unsafe == 1.
struct ReliabilityBin {
  double lower = 0, upper = 0;
  int64_t count = 0;
  std::optional<double> mean_p;       // mean predicted p_unsafe (nullopt for an empty bin)
  std::optional<double> frac_unsafe;  // observed fraction labelled unsafe
};

struct CalibrationSummary {
  int64_t count = 0;
  // ECE = sum_b (n_b / N) |mean_p_b - frac_unsafe_b| over the bins of p_unsafe (the positive-class
  // reliability diagram, not the max-probability "confidence" variant); MCE = max_b of the same
  // gap.
  std::optional<double> ece, mce;
  std::optional<double> brier;  // mean (p_unsafe - y)^2
  std::optional<double> nll;    // mean -log p(gold label), from the logit (finite for any logit)
  std::vector<ReliabilityBin> bins;
};

// Bin of p is floor(p * num_bins) computed in double, clamped to num_bins - 1. num_bins >= 1.
// Empty input gives count 0, nullopt metrics and empty bins.
CalibrationSummary SummarizeCalibration(std::span<const Scored> xs, int num_bins);

// log(1 + exp(x)) without overflow.
double Softplus(double x);
// 1 / (1 + exp(-x)) without overflow.
double Sigmoid(double x);
// -log p(label) for a logistic model with logit z: softplus(-z) if unsafe else softplus(z).
inline double LogLoss(double logit, bool unsafe) { return Softplus(unsafe ? -logit : logit); }

}  // namespace haloguard::eval
