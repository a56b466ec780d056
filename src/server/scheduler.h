// Scheduler: the bounded queue between HTTP handlers and the classifier. Batching loops collect up
// to max_batch sequences (or wait at most batch_timeout_ms after the oldest one arrived) and make
// one Classifier::ClassifyBatch call; a watcher answers every job no later than its deadline.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "guard/result.h"
#include "server/metrics.h"

namespace haloguard::server {

struct SchedulerOptions {
  int max_batch = 16;            // sequences per ClassifyBatch call
  int64_t batch_timeout_ms = 5;  // how long the oldest waiting sequence may wait for company
  int queue_size = 256;  // sequences waiting (not yet in a batch); beyond: RESOURCE_EXHAUSTED
  int concurrency = 1;   // ClassifyBatch calls in flight at once (batching loops)
};

// Optional observers (each may be null); owned by the caller, must outlive the scheduler.
struct SchedulerMetrics {
  Histogram* batch_size = nullptr;     // sequences per ClassifyBatch call
  Histogram* queue_wait = nullptr;     // seconds from Submit to batch start, per sequence
  Histogram* batch_seconds = nullptr;  // ClassifyBatch wall time
  Counter* deadline_exceeded = nullptr;
};

class Scheduler {
 public:
  // Result i belongs to request i; or every slot holds the same error (DEADLINE_EXCEEDED,
  // UNAVAILABLE at shutdown).
  using Done = std::function<void(std::vector<StatusOr<guard::GuardResult>>)>;

  // `classifier` must outlive the scheduler; options are validated by the caller (all >= 1,
  // batch_timeout_ms >= 0).
  Scheduler(guard::Classifier* classifier, const SchedulerOptions& options,
            SchedulerMetrics metrics = {});
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Enqueues `requests` as one job. On OK, `done` is called exactly once, on a scheduler
  // thread, by `deadline` at the latest. Errors (then `done` is never called):
  // INVALID_ARGUMENT for no requests, RESOURCE_EXHAUSTED when the queue lacks room for all of
  // them, UNAVAILABLE after Stop(). Thread-safe.
  Status Submit(std::vector<guard::ClassifyRequest> requests, Clock::time_point deadline,
                Done done);

  int64_t queued() const { return queued_.load(); }         // sequences waiting
  int64_t pending_jobs() const { return pending_.load(); }  // accepted, `done` not yet called

  // Lets running batches finish, answers queued jobs with UNAVAILABLE, joins. Idempotent.
  void Stop();

 private:
  struct Job;
  struct Item {
    std::shared_ptr<Job> job;
    size_t index;
  };

  void BatchLoop();
  void RunBatch(std::vector<Item>& batch);
  void WatchDeadlines();
  void Finish(const std::shared_ptr<Job>& job, std::vector<StatusOr<guard::GuardResult>> results);
  void FailAll(const std::shared_ptr<Job>& job, const Status& status);
  size_t PurgeFinishedLocked();

  guard::Classifier* classifier_;
  SchedulerOptions opts_;
  SchedulerMetrics metrics_;

  std::mutex mu_;  // guards queue_, stop_
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::atomic<int64_t> queued_{0};
  std::atomic<int64_t> pending_{0};

  std::mutex deadline_mu_;  // guards deadlines_, watcher_stop_
  std::condition_variable deadline_cv_;
  std::multimap<Clock::time_point, std::weak_ptr<Job>> deadlines_;
  bool watcher_stop_ = false;

  std::vector<std::thread> loops_;
  std::thread watcher_;
  std::once_flag stop_once_;
};

}  // namespace haloguard::server
