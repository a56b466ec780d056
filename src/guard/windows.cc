// SplitWindows implementation.
#include "guard/windows.h"

#include <algorithm>

namespace haloguard::guard {

StatusOr<std::vector<Window>> SplitWindows(int64_t n, int64_t length, int64_t stride) {
  if (length < 1) {
    return InvalidArgumentError("window length must be >= 1, got " + std::to_string(length));
  }
  if (stride < 1 || stride > length) {
    return InvalidArgumentError("window stride must be in [1, window length = " +
                                std::to_string(length) + "], got " + std::to_string(stride) +
                                " (a larger stride would skip tokens)");
  }
  std::vector<Window> out;
  if (n <= length) {
    out.push_back({0, n});
    return out;
  }
  for (int64_t s = 0;; s += stride) {
    out.push_back({s, std::min(s + length, n)});
    if (s + length >= n) break;
  }
  return out;
}

}  // namespace haloguard::guard
