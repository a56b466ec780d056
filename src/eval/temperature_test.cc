// Temperature-scaling fit: the closed-form optimum of a hand case, recovery of a known
// temperature from simulated labels (tolerance from the Fisher information), first-order
// optimality, and every degenerate input it refuses.
#include "eval/temperature.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "eval/calibration_metrics.h"

namespace haloguard::eval {
namespace {

std::vector<Scored> Repeat(double logit, bool unsafe, int n) {
  return std::vector<Scored>(static_cast<size_t>(n), Scored{Sigmoid(logit), logit, unsafe});
}

std::vector<Scored> Concat(std::initializer_list<std::vector<Scored>> parts) {
  std::vector<Scored> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(Temperature, ClosedFormHandCase) {
  // Logit 2 with 3 unsafe / 1 safe, and logit -2 with 1 unsafe / 3 safe. By symmetry the optimum
  // has sigmoid(2 beta) = 3/4, so beta = ln(3) / 2 and T = 2 / ln(3) = 1.8204784532536746.
  const auto xs =
      Concat({Repeat(2, true, 3), Repeat(2, false, 1), Repeat(-2, true, 1), Repeat(-2, false, 3)});
  StatusOr<TemperatureFit> fit = FitTemperature(xs);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  // The solver stops at a relative step of 1e-13; allow 1e-12.
  EXPECT_NEAR(fit->temperature, 2 / std::log(3.0), 1e-12 * 1.82);
  EXPECT_EQ(fit->count, 8);
  // NLL at the optimum: -(3/4 log 3/4 + 1/4 log 1/4) = 0.5623351446188083.
  EXPECT_NEAR(fit->nll_after, -(0.75 * std::log(0.75) + 0.25 * std::log(0.25)), 1e-14);
  EXPECT_LT(fit->nll_after, fit->nll_before);
}

TEST(Temperature, RecoversSimulatedTemperature) {
  // Labels drawn from sigmoid(z / T0) for z ~ N(0, 3^2): the MLE of beta = 1/T is unbiased to
  // first order with standard error 1 / sqrt(N * f''(beta)); the test allows 4 standard errors.
  const double t0 = 2.5;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> z(0, 3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Scored> xs;
  for (int i = 0; i < 20000; ++i) {
    const double logit = z(rng);
    xs.push_back({Sigmoid(logit), logit, u(rng) < Sigmoid(logit / t0)});
  }
  StatusOr<TemperatureFit> fit = FitTemperature(xs);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  const double beta = 1 / fit->temperature;
  double info = 0;
  for (const Scored& x : xs) {
    const double s = Sigmoid(beta * x.logit);
    info += x.logit * x.logit * s * (1 - s);
  }
  const double se_beta = 1 / std::sqrt(info);
  EXPECT_NEAR(beta, 1 / t0, 4 * se_beta) << "se(beta) = " << se_beta;
  // First-order optimality: the NLL rises on both sides of the fit.
  EXPECT_LT(fit->nll_after, MeanNllAtBeta(xs, beta * (1 + 1e-4)));
  EXPECT_LT(fit->nll_after, MeanNllAtBeta(xs, beta * (1 - 1e-4)));
}

TEST(Temperature, ExtremeLogitsStayFinite) {
  auto xs = Concat({Repeat(800, true, 2), Repeat(-800, false, 2), Repeat(1, true, 2),
                    Repeat(1, false, 1), Repeat(-1, false, 2), Repeat(-1, true, 1)});
  StatusOr<TemperatureFit> fit = FitTemperature(xs);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_TRUE(std::isfinite(fit->temperature));
  EXPECT_TRUE(std::isfinite(fit->nll_after));
}

TEST(Temperature, RefusesDegenerateData) {
  struct Case {
    std::vector<Scored> xs;
    const char* message_part;
  };
  const Case cases[] = {
      {Repeat(1, true, 5), "both classes"},
      {Repeat(1, true, 1), "both classes"},
      {Concat({Repeat(0, true, 2), Repeat(0, false, 2)}), "every logit is 0"},
      {Concat({Repeat(2, false, 3), Repeat(-2, true, 3)}), "do not rank unsafe prompts above"},
      {Concat({Repeat(3, true, 3), Repeat(-3, false, 3)}), "separate the labels perfectly"},
      // Logits +-0.001, 1000 right and 1 wrong: f' = 0 where e^(0.001 beta) = 1000, so
      // beta = 1000 ln 1000 = 6908 and T = 1.4e-4, below the accepted 0.001.
      {Concat({Repeat(0.001, true, 500), Repeat(-0.001, false, 500), Repeat(-0.001, true, 1)}),
       "expected a minimum in T >= 0.001"},
  };
  for (const Case& c : cases) {
    StatusOr<TemperatureFit> fit = FitTemperature(c.xs);
    ASSERT_FALSE(fit.ok()) << c.message_part;
    EXPECT_EQ(fit.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(fit.status().message().find(c.message_part), std::string::npos)
        << fit.status().message();
  }
}

}  // namespace
}  // namespace haloguard::eval
