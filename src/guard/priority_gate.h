// PriorityGate: exclusive access to the compute (model + thread pool) with two priorities. The
// synchronous lane takes it at high priority; the monitor lane at low priority, one bounded
// chunk at a time, and never while a high-priority caller is waiting. So background work delays
// a synchronous request by at most the chunk it is running.
#pragma once

#include <condition_variable>
#include <mutex>

namespace haloguard::guard {

class PriorityGate {
 public:
  // Held access; released on destruction.
  class Lock {
   public:
    Lock(Lock&& o) noexcept : gate_(o.gate_) { o.gate_ = nullptr; }
    Lock& operator=(Lock&&) = delete;
    Lock(const Lock&) = delete;
    ~Lock() {
      if (gate_) gate_->Release();
    }

   private:
    friend class PriorityGate;
    explicit Lock(PriorityGate* g) : gate_(g) {}
    PriorityGate* gate_;
  };

  // Waits until the gate is free; takes precedence over every low-priority waiter.
  Lock AcquireHigh() {
    std::unique_lock<std::mutex> l(mu_);
    ++high_waiting_;
    cv_.wait(l, [&] { return !held_; });
    --high_waiting_;
    held_ = true;
    return Lock(this);
  }

  // Waits until the gate is free and no high-priority caller is waiting.
  Lock AcquireLow() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return !held_ && high_waiting_ == 0; });
    held_ = true;
    return Lock(this);
  }

 private:
  void Release() {
    {
      std::lock_guard<std::mutex> l(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int high_waiting_ = 0;
};

}  // namespace haloguard::guard
