// Temperature-scaling fit (see temperature.h).
#include "eval/temperature.h"

#include <cmath>
#include <string>

#include "eval/calibration_metrics.h"

namespace haloguard::eval {
namespace {

struct Derivs {
  double d1 = 0;  // f'(beta)
  double d2 = 0;  // f''(beta) >= 0
};

Derivs DerivsAt(std::span<const Scored> xs, double beta) {
  Derivs d;
  for (const Scored& x : xs) {
    const double sz = x.unsafe ? x.logit : -x.logit;  // s_i * z_i
    const double m = beta * sz;
    d.d1 += -sz * Sigmoid(-m);
    // sigmoid(m) * sigmoid(-m) = e / (1 + e)^2 with e = exp(-|m|), stable for any m.
    const double e = std::exp(-std::abs(m));
    d.d2 += x.logit * x.logit * e / ((1 + e) * (1 + e));
  }
  const double n = static_cast<double>(xs.size());
  return {d.d1 / n, d.d2 / n};
}

Status CheckFitInput(std::span<const Scored> xs) {
  int64_t pos = 0, misranked = 0;
  bool any_nonzero = false;
  for (const Scored& x : xs) {
    pos += x.unsafe ? 1 : 0;
    any_nonzero |= x.logit != 0;
    misranked += (x.unsafe ? x.logit : -x.logit) < 0;
  }
  const auto n = static_cast<int64_t>(xs.size());
  if (n < 2 || pos == 0 || pos == n) {
    return FailedPreconditionError(
        "temperature fit: expected labelled examples of both classes, got " + std::to_string(pos) +
        " unsafe and " + std::to_string(n - pos) + " safe");
  }
  if (!any_nonzero) {
    return FailedPreconditionError("temperature fit: every logit is 0; expected scores that vary");
  }
  // With no logit on the wrong side, f'(beta) < 0 for every beta: the NLL falls towards 0 as
  // T -> 0 and has no minimum (numerically, f' would underflow to exactly 0 instead).
  if (misranked == 0) {
    return FailedPreconditionError(
        "temperature fit: the logits separate the labels perfectly, so the NLL has no minimum "
        "(it falls as T -> 0); expected at least one prompt on the wrong side (hint: fit on "
        "more, harder data)");
  }
  return OkStatus();
}

}  // namespace

double MeanNllAtBeta(std::span<const Scored> xs, double beta) {
  double sum = 0;
  for (const Scored& x : xs) sum += LogLoss(beta * x.logit, x.unsafe);
  return xs.empty() ? 0 : sum / static_cast<double>(xs.size());
}

StatusOr<TemperatureFit> FitTemperature(std::span<const Scored> xs) {
  HG_RETURN_IF_ERROR(CheckFitInput(xs));
  if (DerivsAt(xs, 0).d1 >= 0) {
    return FailedPreconditionError(
        "temperature fit: the logits do not rank unsafe prompts above safe ones (mean s*z <= 0); "
        "expected a positive correlation, so no temperature T > 0 lowers the NLL");
  }
  // Bracket the root of f' (increasing): f'(lo) < 0 <= f'(hi).
  double lo = 0, hi = 1;
  while (DerivsAt(xs, hi).d1 < 0) {
    lo = hi;
    hi *= 2;
    if (hi > kMaxBeta) {
      return FailedPreconditionError(
          "temperature fit: the NLL still falls at T = " + std::to_string(1 / kMaxBeta) +
          "; expected a minimum in T >= 0.001 (hint: fit on more, harder data)");
    }
  }
  double beta = 0.5 * (lo + hi);
  int it = 0;
  for (; it < 200; ++it) {
    const Derivs d = DerivsAt(xs, beta);
    if (d.d1 == 0) break;
    if (d.d1 < 0)
      lo = beta;
    else
      hi = beta;
    const double newton = d.d2 > 0 ? beta - d.d1 / d.d2 : lo - 1;
    // A Newton step that leaves the bracket is replaced by bisection.
    const double next = (newton > lo && newton < hi) ? newton : 0.5 * (lo + hi);
    const bool converged = std::abs(next - beta) <= 1e-13 * beta || hi - lo <= 1e-12 * hi;
    beta = next;
    if (converged) break;
  }
  if (beta < kMinBeta) {
    return FailedPreconditionError("temperature fit: optimum at T = " + std::to_string(1 / beta) +
                                   "; expected T <= 1000 (the logits carry almost no signal)");
  }
  TemperatureFit fit;
  fit.temperature = 1 / beta;
  fit.count = static_cast<int64_t>(xs.size());
  fit.nll_before = MeanNllAtBeta(xs, 1.0);
  fit.nll_after = MeanNllAtBeta(xs, beta);
  fit.iterations = it;
  return fit;
}

}  // namespace haloguard::eval
