// ContendedClassifier: a device lock with foreground priority; costs are sleeps.
#include "monitor/testing/contended_classifier.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace haloguard::monitor::testing {

void ContendedClassifier::AcquireForeground() {
  std::unique_lock<std::mutex> lock(mu_);
  ++foreground_waiting_;
  cv_.wait(lock, [this] { return !busy_; });
  --foreground_waiting_;
  busy_ = true;
}

void ContendedClassifier::AcquireBackground() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !busy_ && foreground_waiting_ == 0; });
  busy_ = true;
}

void ContendedClassifier::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  busy_ = false;
  cv_.notify_all();
}

void ContendedClassifier::Busy(double ms) {
  std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms));
}

std::vector<StatusOr<guard::GuardResult>> ContendedClassifier::ClassifyBatch(
    std::span<const guard::ClassifyRequest> requests) {
  AcquireForeground();
  Busy(opts_.batch_cost_ms + opts_.item_cost_ms * static_cast<double>(requests.size()));
  Release();
  return FakeClassifier::ClassifyBatch(requests);  // no cost of its own (default options)
}

std::vector<StatusOr<guard::WindowVerdict>> ContendedClassifier::ScoreWindows(
    std::span<const std::vector<int32_t>> windows, bool background,
    const std::function<bool()>& should_stop) {
  const auto stop = [&] { return background && should_stop && should_stop(); };
  for (size_t w = 0; w < windows.size(); ++w) {
    if (!background || !opts_.preempt) {
      AcquireBackground();
      Busy(opts_.window_cost_ms);
      Release();
      continue;
    }
    for (double left = opts_.window_cost_ms; left > 0; left -= opts_.chunk_ms) {
      if (stop()) {  // like the model-backed classifier: the rest comes back CANCELLED
        std::vector<StatusOr<guard::WindowVerdict>> out =
            FakeClassifier::ScoreWindows(windows, background, should_stop);
        for (size_t r = w; r < out.size(); ++r) out[r] = CancelledError("window scoring stopped");
        return out;
      }
      AcquireBackground();  // a waiting ClassifyBatch goes first
      Busy(std::min(opts_.chunk_ms, left));
      Release();
    }
  }
  return FakeClassifier::ScoreWindows(windows, background, should_stop);
}

}  // namespace haloguard::monitor::testing
