// Derived floating-point tolerances for tests (Higham, "Accuracy and Stability of Numerical
// Algorithms", §3.1): a sum or dot product of n terms evaluated in a precision with unit roundoff
// u has |computed - exact| <= gamma(n) * sum|terms|, gamma(n) = n*u / (1 - n*u). Tests state which
// reduction length and which magnitude they bound; see docs/TOLERANCES.md.
#pragma once

#include <cmath>
#include <cstdint>

namespace haloguard {

inline constexpr double kUnitRoundoffF32 = 5.960464477539063e-08;   // 2^-24
inline constexpr double kUnitRoundoffBF16 = 0.00390625;             // 2^-8

// gamma(n) for unit roundoff u.
inline double Gamma(double n, double u = kUnitRoundoffF32) { return n * u / (1.0 - n * u); }

// Probabilistic bound (Higham & Mary, SIAM J. Sci. Comput. 41(5), 2019, Thm 3.1): with rounding
// errors modelled as independent and mean-zero, |error| <= lambda * sqrt(n) * u * sum|terms| holds
// with probability >= 1 - 2 exp(-lambda^2 / 2) per entry; lambda = 8 gives 2.5e-14, small enough to
// union-bound over every entry a test checks. Used for long chains (recurrences, whole models)
// where the worst-case n*u bound is orders of magnitude too loose to catch real bugs.
inline double ProbGamma(double n, double u = kUnitRoundoffF32, double lambda = 8.0) {
  return lambda * std::sqrt(n) * u;
}

// Bound on |fp32 result - exact| for a reduction of length n whose terms sum to `abs_sum` in
// absolute value.
inline double ReductionTolerance(int64_t n, double abs_sum) {
  return Gamma(static_cast<double>(n)) * abs_sum;
}

}  // namespace haloguard
