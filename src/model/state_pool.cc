// StatePool implementation: a mutex-guarded stack of spare states, refilled from finished leases.
#include "model/state_pool.h"

#include <utility>

namespace haloguard::model {

StatePool::StatePool(const InferenceState& prefix, size_t max_spare, size_t max_kept_bytes)
    : prefix_(prefix), max_spare_(max_spare), max_kept_bytes_(max_kept_bytes) {}

StatePool::Lease StatePool::Acquire(size_t n) {
  std::vector<InferenceState> states;
  states.reserve(n);
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (states.size() < n && !spare_.empty()) {
      states.push_back(std::move(spare_.back()));
      spare_.pop_back();
    }
  }
  for (InferenceState& s : states) s.CopyFrom(prefix_);  // reuses the allocations
  while (states.size() < n) states.push_back(prefix_);
  return Lease(this, std::move(states));
}

void StatePool::Release(std::vector<InferenceState>& states) {
  std::lock_guard<std::mutex> lock(mu_);
  for (InferenceState& s : states) {
    if (spare_.size() >= max_spare_) break;
    if (s.CapacityBytes() <= max_kept_bytes_) spare_.push_back(std::move(s));
  }
}

size_t StatePool::spare() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spare_.size();
}

StatePool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(states_);
}

}  // namespace haloguard::model
