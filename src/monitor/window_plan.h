// WindowPlan: the card's sliding windows over a document's tokens, computed one at a time (the
// k-th window by formula), so a huge document never holds all of its windows at once.
// Same windows as guard::SplitWindows (window_plan_test checks them against it).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "guard/windows.h"

namespace haloguard::monitor {

class WindowPlan {
 public:
  // Windows over `num_tokens` tokens. Errors (INVALID_ARGUMENT): num_tokens < 0, length < 1,
  // stride outside [1, length].
  static StatusOr<WindowPlan> Make(int64_t num_tokens, int64_t length, int64_t stride);

  // Number of windows: 1 when num_tokens <= length, else ceil((n - length) / stride) + 1.
  int64_t count() const { return count_; }
  int64_t num_tokens() const { return n_; }
  // Window k in [0, count()): [k * stride, min(k * stride + length, n)). HG_CHECKs k.
  guard::Window At(int64_t k) const;

 private:
  WindowPlan(int64_t n, int64_t length, int64_t stride, int64_t count)
      : n_(n), length_(length), stride_(stride), count_(count) {}
  int64_t n_, length_, stride_, count_;
};

}  // namespace haloguard::monitor
