// LocalQueue: the embedded monitor backend. Jobs wait in memory (three priority levels, FIFO
// within one), worker threads run them through RunJob on the shared classifier, and finished
// jobs are kept for a TTL. Nothing survives the process: use RedisQueue for durable jobs.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "guard/result.h"
#include "monitor/queue.h"
#include "monitor/runner.h"

namespace haloguard::monitor {

struct LocalQueueOptions {
  int workers = 1;                                 // jobs running at once
  int64_t max_queued_jobs = 1024;                  // waiting jobs; beyond: RESOURCE_EXHAUSTED
  int64_t max_pending_bytes = int64_t{256} << 20;  // input bytes of waiting + running jobs
  int64_t result_ttl_ms = 3600 * 1000;             // finished jobs are kept this long
  int64_t max_finished_jobs = 10000;               // and at most this many (oldest dropped first)
  RunOptions run;
};

// Checks option ranges; INVALID_ARGUMENT naming the flag ("--monitor-workers: expected >= 1,
// got 0").
Status ValidateLocalQueueOptions(const LocalQueueOptions& o);

class LocalQueue : public JobQueue {
 public:
  // Starts options.workers threads over `classifier` (must outlive the queue). Options must be
  // valid (ValidateLocalQueueOptions).
  LocalQueue(guard::Classifier* classifier, LocalQueueOptions options);
  ~LocalQueue() override;  // Stop()
  LocalQueue(const LocalQueue&) = delete;
  LocalQueue& operator=(const LocalQueue&) = delete;

  // JobQueue; all thread-safe.
  StatusOr<JobInfo> Submit(JobSpec spec) override;
  StatusOr<JobInfo> Get(const std::string& id) override;
  StatusOr<JobInfo> Cancel(const std::string& id) override;
  StatusOr<QueueStats> Stats() override;
  StatusOr<std::vector<JobInfo>> List(size_t limit) override;

  // Refuses new jobs (UNAVAILABLE), stops running jobs before their next window call (they end
  // cancelled), and joins the workers. Waiting jobs stay queued (lost with the process).
  // Idempotent.
  void Stop();

 private:
  struct Entry;

  void WorkerLoop();
  std::shared_ptr<Entry> TakeLocked();
  void RunOne(const std::shared_ptr<Entry>& e);
  void FinishLocked(const std::shared_ptr<Entry>& e, Clock::time_point now);
  void PurgeLocked(Clock::time_point now);
  StatusOr<std::shared_ptr<Entry>> FindLocked(const std::string& id);

  guard::Classifier* classifier_;
  LocalQueueOptions opts_;

  std::mutex mu_;  // guards everything below but the atomics
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, std::shared_ptr<Entry>> jobs_;
  std::array<std::deque<std::shared_ptr<Entry>>, kNumPriorities> waiting_;
  std::deque<std::shared_ptr<Entry>> finished_;  // in finishing order = expiry order
  int64_t queued_ = 0, running_ = 0, pending_bytes_ = 0;
  QueueStats totals_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
  std::once_flag stop_once_;
};

}  // namespace haloguard::monitor
