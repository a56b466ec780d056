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

std::vector<std::pair<int64_t, int64_t>> WindowByteSpans(
    std::span<const std::pair<size_t, size_t>> token_spans, std::span<const Window> windows) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const Window& w : windows) {
    if (w.end <= w.begin) {
      out.emplace_back(0, 0);
      continue;
    }
    out.emplace_back(static_cast<int64_t>(token_spans[w.begin].first),
                     static_cast<int64_t>(token_spans[w.end - 1].second));
  }
  return out;
}

}  // namespace haloguard::guard
