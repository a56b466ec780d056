// ThreadPool: a fixed set of compute threads for data-parallel loops (ParallelFor).
// One job runs at a time (Run is serialised by a mutex); the calling thread takes part in it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace haloguard {

class ThreadPool {
 public:
  // `num_threads` is the total number of threads working on a job, the caller included
  // (so 1 means "run inline", no extra threads). 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int num_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(task, thread) once for every task in [0, num_tasks); `thread` is in
  // [0, num_threads()) and identifies the executing thread (for per-thread scratch).
  // Blocks until all tasks finish. At most 2^20 - 1 tasks per call (HG_CHECK).
  // Thread-safe: concurrent callers are serialised.
  // A call from inside a task runs inline on the calling thread (no deadlock).
  void Run(int num_tasks, const std::function<void(int task, int thread)>& fn);

  // Splits [begin, end) into about num_threads() * 4 contiguous chunks of at least `grain`
  // items and calls fn(chunk_begin, chunk_end, thread) for each.
  void ParallelFor(int64_t begin, int64_t end, int64_t grain,
                   const std::function<void(int64_t, int64_t, int)>& fn);

 private:
  void WorkerLoop(int thread_index);
  void DrainTasks(int thread_index);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex run_mu_;  // serialises Run()

  // A job is published as one ticket_ word (generation, task count, next index); a task is
  // claimed by a CAS that advances the index, so a claim only succeeds for the current job and
  // within its task count. Run waits for its tasks to finish (pending_), never for idle workers
  // to check in: a worker that is asleep or descheduled costs the caller nothing.
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::atomic<const std::function<void(int, int)>*> job_{nullptr};
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace haloguard
