// StatePool: reusable forks of one prefix state (the guard's cached system prompt). A fresh fork
// allocates and page-faults ~20 MiB of GDN state and, on its first KV append, reallocates each
// full-attention layer's cache; a reused one only copies (measured: 4 of 73 ms of a short int8
// request, docs/PERFORMANCE.md).
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "model/state.h"

namespace haloguard::model {

class StatePool {
 public:
  // `prefix` must outlive the pool and stay unchanged while states are leased. At most
  // `max_spare` states are kept between leases, and none whose allocations exceed
  // `max_kept_bytes` (a long window's KV cache is freed, not kept).
  StatePool(const InferenceState& prefix, size_t max_spare, size_t max_kept_bytes);

  // n states, each equal to the prefix; given back to the pool when the lease ends.
  class Lease {
   public:
    Lease(Lease&& o) noexcept : pool_(o.pool_), states_(std::move(o.states_)) { o.pool_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    std::vector<InferenceState>& states() { return states_; }

   private:
    friend class StatePool;
    Lease(StatePool* pool, std::vector<InferenceState> states) : pool_(pool), states_(std::move(states)) {}
    StatePool* pool_;
    std::vector<InferenceState> states_;
  };
  // Thread-safe.
  Lease Acquire(size_t n);

  size_t spare() const;  // states kept now (tests)

 private:
  void Release(std::vector<InferenceState>& states);

  const InferenceState& prefix_;
  const size_t max_spare_, max_kept_bytes_;
  mutable std::mutex mu_;
  std::vector<InferenceState> spare_;
};

}  // namespace haloguard::model
