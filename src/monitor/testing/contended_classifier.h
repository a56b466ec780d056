// ContendedClassifier: the FakeClassifier's verdicts on a cost model with ONE shared compute
// device, to show the monitor lane's priority mechanism without a model. ClassifyBatch holds the
// device for its whole cost; ScoreWindows(background = true) runs each window as chunks of
// chunk_ms and, between chunks, lets any waiting ClassifyBatch go first (the preemption the
// real classifier implements between prefill chunks). With preempt = false a window holds the
// device to its end, the behaviour the priority bound exists to rule out. Test/bench only.
#pragma once

#include <condition_variable>
#include <mutex>

#include "server/testing/fake_classifier.h"

namespace haloguard::monitor::testing {

struct ContendedOptions {
  double batch_cost_ms = 2;    // per ClassifyBatch call
  double item_cost_ms = 1;     // per sequence in it
  double window_cost_ms = 40;  // per monitor window
  double chunk_ms = 5;         // background work between two preemption points
  bool preempt = true;
};

class ContendedClassifier : public server::testing::FakeClassifier {
 public:
  explicit ContendedClassifier(ContendedOptions options) : opts_(options) {}

  std::vector<StatusOr<guard::GuardResult>> ClassifyBatch(
      std::span<const guard::ClassifyRequest> requests) override;
  std::vector<StatusOr<guard::WindowVerdict>> ScoreWindows(
      std::span<const std::vector<int32_t>> windows, bool background,
      const std::function<bool()>& should_stop) override;

 private:
  void AcquireForeground();
  void AcquireBackground();
  void Release();
  void Busy(double ms);  // holds the device (already acquired) for `ms`

  ContendedOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool busy_ = false;
  int foreground_waiting_ = 0;
};

}  // namespace haloguard::monitor::testing
