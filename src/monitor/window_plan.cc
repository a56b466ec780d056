// WindowPlan implementation.
#include "monitor/window_plan.h"

#include <algorithm>
#include <string>

#include "core/check.h"

namespace haloguard::monitor {

StatusOr<WindowPlan> WindowPlan::Make(int64_t num_tokens, int64_t length, int64_t stride) {
  if (num_tokens < 0) {
    return InvalidArgumentError("window plan: token count; expected >= 0, got " +
                                std::to_string(num_tokens));
  }
  if (length < 1) {
    return InvalidArgumentError("window plan: window length; expected >= 1, got " +
                                std::to_string(length));
  }
  if (stride < 1 || stride > length) {
    return InvalidArgumentError("window plan: window stride; expected 1.." +
                                std::to_string(length) + ", got " + std::to_string(stride));
  }
  // Windows start at 0, S, 2S, ... and stop after the first one reaching n: the last start s
  // is the smallest multiple of S with s + length >= n.
  const int64_t count = num_tokens <= length ? 1 : (num_tokens - length + stride - 1) / stride + 1;
  return WindowPlan(num_tokens, length, stride, count);
}

guard::Window WindowPlan::At(int64_t k) const {
  HG_CHECK(k >= 0 && k < count_) << "window " << k << " of " << count_;
  if (count_ == 1) return {0, n_};
  const int64_t begin = k * stride_;
  return {begin, std::min(begin + length_, n_)};
}

}  // namespace haloguard::monitor
