// Template helpers of bench.h.
#pragma once

#include <algorithm>
#include <vector>

#include "core/clock.h"

namespace haloguard::bench {

template <class Fn>
double MedianSeconds(int runs, Fn&& fn) {
  std::vector<double> t;
  for (int i = 0; i < std::max(1, runs); ++i) {
    const Clock::time_point t0 = Clock::now();
    fn();
    t.push_back(SecondsSince(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace haloguard::bench
