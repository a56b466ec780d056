// Scheduler implementation: a deque of (job, slot) items shared by the batching loops, and a
// deadline watcher over a time-ordered multimap. A job finishes exactly once: by its last batch
// slot, by its deadline, or by shutdown (an atomic flag decides the winner).
#include "server/scheduler.h"

#include <exception>
#include <set>

namespace haloguard::server {

struct Scheduler::Job {
  std::vector<guard::ClassifyRequest> requests;
  std::vector<StatusOr<guard::GuardResult>> results;  // slot i written by the batch that ran it
  std::atomic<size_t> remaining{0};
  std::atomic<bool> finished{false};
  Done done;
  Clock::time_point enqueued;
  int64_t timeout_ms = 0;
  // Guarded by deadline_mu_: this job's entry in deadlines_, if still there.
  bool has_deadline = false;
  std::multimap<Clock::time_point, std::weak_ptr<Job>>::iterator deadline_it;
};

Scheduler::Scheduler(guard::Classifier* classifier, const SchedulerOptions& options,
                     SchedulerMetrics metrics)
    : classifier_(classifier), opts_(options), metrics_(metrics) {
  HG_CHECK(classifier_ != nullptr);
  HG_CHECK(opts_.max_batch >= 1 && opts_.queue_size >= 1 && opts_.concurrency >= 1 &&
           opts_.batch_timeout_ms >= 0);
  for (int i = 0; i < opts_.concurrency; ++i) loops_.emplace_back([this] { BatchLoop(); });
  watcher_ = std::thread([this] { WatchDeadlines(); });
}

Scheduler::~Scheduler() { Stop(); }

size_t Scheduler::PurgeFinishedLocked() {
  size_t removed = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->job->finished.load()) {
      it = queue_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  queued_.fetch_sub(static_cast<int64_t>(removed));
  return removed;
}

Status Scheduler::Submit(std::vector<guard::ClassifyRequest> requests, Clock::time_point deadline,
                         Done done) {
  const size_t n = requests.size();
  if (n == 0) return InvalidArgumentError("scheduler: expected at least one request, got 0");
  auto job = std::make_shared<Job>();
  job->requests = std::move(requests);
  job->results.assign(n, Status(StatusCode::kInternal, "scheduler: slot not run"));
  job->remaining.store(n);
  job->done = std::move(done);
  job->enqueued = Clock::now();
  job->timeout_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - job->enqueued).count();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return UnavailableError("scheduler: shutting down; expected no new work");
    const auto limit = static_cast<int64_t>(opts_.queue_size);
    if (queued_.load() + static_cast<int64_t>(n) > limit) PurgeFinishedLocked();
    if (queued_.load() + static_cast<int64_t>(n) > limit) {
      return ResourceExhaustedError("scheduler: queue full; expected at most " +
                                    std::to_string(limit) + " waiting sequences, got " +
                                    std::to_string(queued_.load() + static_cast<int64_t>(n)));
    }
    for (size_t i = 0; i < n; ++i) queue_.push_back({job, i});
    queued_.fetch_add(static_cast<int64_t>(n));
    pending_.fetch_add(1);
  }
  cv_.notify_all();
  {
    std::lock_guard<std::mutex> lock(deadline_mu_);
    const bool earliest = deadlines_.empty() || deadline < deadlines_.begin()->first;
    job->deadline_it = deadlines_.emplace(deadline, job);
    job->has_deadline = true;
    if (earliest) deadline_cv_.notify_one();
  }
  return OkStatus();
}

void Scheduler::BatchLoop() {
  const size_t max_batch = static_cast<size_t>(opts_.max_batch);
  for (;;) {
    std::vector<Item> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      const Clock::time_point window_end =
          queue_.front().job->enqueued + std::chrono::milliseconds(opts_.batch_timeout_ms);
      cv_.wait_until(lock, window_end, [&] { return stop_ || queue_.size() >= max_batch; });
      if (stop_) return;
      while (!queue_.empty() && batch.size() < max_batch) {
        Item item = std::move(queue_.front());
        queue_.pop_front();
        queued_.fetch_sub(1);
        if (!item.job->finished.load()) batch.push_back(std::move(item));
      }
    }
    if (!batch.empty()) RunBatch(batch);
  }
}

void Scheduler::RunBatch(std::vector<Item>& batch) {
  const Clock::time_point start = Clock::now();
  std::vector<guard::ClassifyRequest> requests;
  requests.reserve(batch.size());
  for (Item& item : batch) {
    requests.push_back(std::move(item.job->requests[item.index]));
    if (metrics_.queue_wait) {
      metrics_.queue_wait->Observe(
          std::chrono::duration<double>(start - item.job->enqueued).count());
    }
  }
  if (metrics_.batch_size) metrics_.batch_size->Observe(static_cast<double>(batch.size()));
  std::vector<StatusOr<guard::GuardResult>> out;
  try {
    out = classifier_->ClassifyBatch(requests);
  } catch (const std::exception& e) {  // the interface promises no throws; a bug must not kill us
    out.assign(requests.size(),
               InternalError(std::string("scheduler: classifier threw: ") + e.what()));
  }
  if (out.size() != requests.size()) {
    out.assign(requests.size(),
               InternalError("scheduler: classifier returned " + std::to_string(out.size()) +
                             " results; expected " + std::to_string(requests.size())));
  }
  if (metrics_.batch_seconds) metrics_.batch_seconds->Observe(SecondsSince(start));
  for (size_t i = 0; i < batch.size(); ++i) {
    Job& job = *batch[i].job;
    job.results[batch[i].index] = std::move(out[i]);
    if (job.remaining.fetch_sub(1) == 1) Finish(batch[i].job, std::move(job.results));
  }
}

void Scheduler::Finish(const std::shared_ptr<Job>& job,
                       std::vector<StatusOr<guard::GuardResult>> results) {
  if (job->finished.exchange(true)) return;  // the deadline or shutdown answered first
  {
    std::lock_guard<std::mutex> lock(deadline_mu_);
    if (job->has_deadline) deadlines_.erase(job->deadline_it);
    job->has_deadline = false;
  }
  job->done(std::move(results));
  job->done = nullptr;  // release captured responders promptly
  pending_.fetch_sub(1);
}

void Scheduler::FailAll(const std::shared_ptr<Job>& job, const Status& status) {
  Finish(job, std::vector<StatusOr<guard::GuardResult>>(job->requests.size(), status));
}

void Scheduler::WatchDeadlines() {
  std::unique_lock<std::mutex> lock(deadline_mu_);
  while (!watcher_stop_) {
    if (deadlines_.empty()) {
      deadline_cv_.wait(lock);
      continue;
    }
    auto first = deadlines_.begin();
    // A copy: the entry may be erased (by Finish) while we wait with the lock released.
    const Clock::time_point when = first->first;
    if (Clock::now() < when) {
      deadline_cv_.wait_until(lock, when);
      continue;
    }
    std::shared_ptr<Job> job = first->second.lock();
    if (job) job->has_deadline = false;
    deadlines_.erase(first);
    lock.unlock();
    if (job && !job->finished.load()) {
      if (metrics_.deadline_exceeded) metrics_.deadline_exceeded->Inc();
      FailAll(job, DeadlineExceededError("scheduler: request not finished within its deadline of " +
                                         std::to_string(job->timeout_ms) + " ms"));
    }
    lock.lock();
  }
}

void Scheduler::Stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : loops_) t.join();
    std::set<std::shared_ptr<Job>> left;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (Item& item : queue_) left.insert(item.job);
      queue_.clear();
      queued_.store(0);
    }
    for (const auto& job : left) FailAll(job, UnavailableError("scheduler: server shutting down"));
    {
      std::lock_guard<std::mutex> lock(deadline_mu_);
      watcher_stop_ = true;
    }
    deadline_cv_.notify_all();
    watcher_.join();
  });
}

}  // namespace haloguard::server
