// ThreadPool implementation: workers spin briefly on a job ticket, then sleep on a condition
// variable; tasks are claimed by CAS on the ticket (dynamic load balancing), and Run returns
// when its tasks are done, whether or not every worker woke up for them.
#include "core/thread_pool.h"

#include <algorithm>

#include "core/check.h"

namespace haloguard {
namespace {
thread_local bool tls_in_pool_task = false;
constexpr int kSpinIterations = 20000;  // ~tens of microseconds before sleeping

// A job ticket packs [generation:24 | num_tasks:20 | next task:20]. Keeping the task count in
// the same word as the claim counter makes a claim self-contained: a worker holding an old
// ticket can neither overrun its job nor claim from the next one (its CAS fails).
constexpr int kIndexBits = 20;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
inline uint32_t Generation(uint64_t ticket) { return static_cast<uint32_t>(ticket >> (2 * kIndexBits)); }
inline int TaskCount(uint64_t ticket) { return static_cast<int>((ticket >> kIndexBits) & kIndexMask); }
inline int TaskIndex(uint64_t ticket) { return static_cast<int>(ticket & kIndexMask); }
inline uint64_t MakeTicket(uint32_t generation, int num_tasks) {
  return (static_cast<uint64_t>(generation & 0xffffffu) << (2 * kIndexBits)) |
         (static_cast<uint64_t>(num_tasks) << kIndexBits);
}

inline void Pause() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = static_cast<int>(std::thread::hardware_concurrency());
  num_threads_ = std::max(1, num_threads);
  workers_.reserve(num_threads_ - 1);
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true, std::memory_order_release);
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::DrainTasks(int thread_index) {
  const bool was_in_task = tls_in_pool_task;
  tls_in_pool_task = true;
  for (;;) {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    if (TaskIndex(t) >= TaskCount(t)) break;
    if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel)) continue;
    // The job cannot change while this claimed task is pending.
    (*job_.load(std::memory_order_acquire))(TaskIndex(t), thread_index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      { std::lock_guard<std::mutex> lock(mu_); }
      done_cv_.notify_all();
    }
  }
  tls_in_pool_task = was_in_task;
}

void ThreadPool::WorkerLoop(int thread_index) {
  uint32_t seen = 0;
  for (;;) {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    for (int spin = 0; Generation(t) == seen && spin < kSpinIterations; ++spin) {
      Pause();
      t = ticket_.load(std::memory_order_acquire);
    }
    if (Generation(t) == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] {
        return stop_.load(std::memory_order_acquire) ||
               Generation(ticket_.load(std::memory_order_acquire)) != seen;
      });
      t = ticket_.load(std::memory_order_acquire);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = Generation(t);
    DrainTasks(thread_index);
  }
}

void ThreadPool::Run(int num_tasks, const std::function<void(int, int)>& fn) {
  if (num_tasks <= 0) return;
  if (num_threads_ == 1 || num_tasks == 1 || tls_in_pool_task) {
    for (int t = 0; t < num_tasks; ++t) fn(t, 0);
    return;
  }
  HG_CHECK(num_tasks <= static_cast<int>(kIndexMask)) << "ThreadPool::Run: " << num_tasks << " tasks; at most " << kIndexMask;
  std::lock_guard<std::mutex> run_lock(run_mu_);
  job_.store(&fn, std::memory_order_relaxed);
  pending_.store(num_tasks, std::memory_order_relaxed);
  const uint32_t gen = Generation(ticket_.load(std::memory_order_relaxed)) + 1;
  ticket_.store(MakeTicket(gen, num_tasks), std::memory_order_release);
  // A worker checks for new work under mu_ before it sleeps, so taking mu_ here orders this
  // publication before that check or after its wait began: no lost wake-up.
  { std::lock_guard<std::mutex> lock(mu_); }
  work_cv_.notify_all();
  DrainTasks(0);
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpinIterations) {
      Pause();
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    break;
  }
}

void ThreadPool::ParallelFor(int64_t begin, int64_t end, int64_t grain,
                             const std::function<void(int64_t, int64_t, int)>& fn) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  int64_t chunks = std::min<int64_t>(n / grain, static_cast<int64_t>(num_threads_) * 4);
  chunks = std::max<int64_t>(1, chunks);
  const int64_t step = (n + chunks - 1) / chunks;
  const int num_tasks = static_cast<int>((n + step - 1) / step);
  Run(num_tasks, [&](int task, int thread) {
    const int64_t b = begin + task * step;
    fn(b, std::min(end, b + step), thread);
  });
}

}  // namespace haloguard
