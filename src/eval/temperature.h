// Temperature scaling of the unsafe-vs-safe logit: finds T > 0 minimising the mean negative
// log-likelihood of the gold labels under p_unsafe = sigmoid(logit / T). One parameter, convex
// in beta = 1/T, solved by a bracketed Newton iteration (bisection fallback).
#pragma once

#include <cstdint>
#include <span>

#include "core/status.h"
#include "eval/metrics.h"

namespace haloguard::eval {

struct TemperatureFit {
  double temperature = 1;  // T; calibrated p_unsafe = sigmoid(logit / T)
  int64_t count = 0;       // examples fitted
  double nll_before = 0;   // mean NLL at T = 1
  double nll_after = 0;    // mean NLL at the fitted T
  int iterations = 0;
};

// The search domain for beta = 1/T. Outside it the data is degenerate for this fit (see below).
inline constexpr double kMinBeta = 1e-3;  // T <= 1000
inline constexpr double kMaxBeta = 1e3;   // T >= 0.001

// Uses Scored::logit and Scored::unsafe (p_unsafe is ignored). The objective
// f(beta) = mean softplus(-s_i * beta * z_i), s_i = +1 unsafe / -1 safe, is convex with
// f'(beta) = mean(-s_i z_i sigmoid(-s_i beta z_i)); the root of f' is bracketed by doubling and
// refined until a step is below 1e-13 or the bracket below 1e-12 of beta. Errors
// (FAILED_PRECONDITION, with the numbers): fewer than 2 examples or only one class; every logit
// 0; logits that separate the labels perfectly (the NLL keeps falling as T -> 0); logits that do
// not rank unsafe above safe (f'(0) >= 0: the optimum would need T <= 0 or T = inf); an optimum
// outside [kMinBeta, kMaxBeta].
StatusOr<TemperatureFit> FitTemperature(std::span<const Scored> xs);

// Mean NLL of the labels under sigmoid(beta * logit).
double MeanNllAtBeta(std::span<const Scored> xs, double beta);

}  // namespace haloguard::eval
