// LocalQueue implementation: one mutex over the job table, per-priority FIFOs and the finished
// list; RunJob runs outside the lock and reports progress through short critical sections.
#include "monitor/local_queue.h"

#include <algorithm>

#include "core/log.h"
#include "monitor/job_json.h"

namespace haloguard::monitor {

struct LocalQueue::Entry {
  JobInfo info;
  JobSpec spec;  // moved out when the job starts
  int64_t bytes = 0;
  std::atomic<bool> cancel{false};
  bool finished_listed = false;  // in finished_ (so TTL applies)
  Clock::time_point finished_at;
};

namespace {

Status AtLeast(const char* flag, int64_t value, int64_t min) {
  if (value >= min) return OkStatus();
  return InvalidArgumentError(std::string(flag) + ": expected >= " + std::to_string(min) +
                              ", got " + std::to_string(value));
}

int64_t SpecBytes(const JobSpec& s) {
  int64_t n = static_cast<int64_t>(s.document.size() + s.metadata_json.size());
  for (const JobMessage& m : s.messages) n += static_cast<int64_t>(m.content.size() + 2);
  return n;
}

}  // namespace

Status ValidateLocalQueueOptions(const LocalQueueOptions& o) {
  HG_RETURN_IF_ERROR(AtLeast("--monitor-workers", o.workers, 1));
  HG_RETURN_IF_ERROR(AtLeast("--monitor-queue-size", o.max_queued_jobs, 1));
  HG_RETURN_IF_ERROR(AtLeast("--monitor-queue-bytes", o.max_pending_bytes, 1));
  HG_RETURN_IF_ERROR(AtLeast("--monitor-result-ttl-s", o.result_ttl_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--monitor-max-finished", o.max_finished_jobs, 1));
  HG_RETURN_IF_ERROR(AtLeast("--monitor-windows-per-call", o.run.windows_per_call, 1));
  return OkStatus();
}

LocalQueue::LocalQueue(guard::Classifier* classifier, LocalQueueOptions options)
    : classifier_(classifier), opts_(std::move(options)) {
  HG_CHECK(ValidateLocalQueueOptions(opts_).ok()) << ValidateLocalQueueOptions(opts_).message();
  for (int i = 0; i < opts_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

LocalQueue::~LocalQueue() { Stop(); }

void LocalQueue::Stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      stopping_.store(true);
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  });
}

StatusOr<JobInfo> LocalQueue::Submit(JobSpec spec) {
  const int64_t bytes = SpecBytes(spec);
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return UnavailableError("monitor: the queue is shutting down; retry elsewhere");
  PurgeLocked(Clock::now());
  if (queued_ >= opts_.max_queued_jobs) {
    return ResourceExhaustedError("monitor: queue full; expected at most " +
                                  std::to_string(opts_.max_queued_jobs) +
                                  " waiting jobs (--monitor-queue-size); retry later");
  }
  if (pending_bytes_ + bytes > opts_.max_pending_bytes) {
    return ResourceExhaustedError(
        "monitor: queue full; waiting and running jobs would hold " +
        std::to_string(pending_bytes_ + bytes) + " bytes of input, expected at most " +
        std::to_string(opts_.max_pending_bytes) + " (--monitor-queue-bytes); retry later");
  }
  auto e = std::make_shared<Entry>();
  e->info.id = NewJobId();
  e->info.priority = spec.priority;
  e->info.metadata_json = spec.metadata_json;
  e->info.created_ms = NowUnixMs();
  e->bytes = bytes;
  e->spec = std::move(spec);
  jobs_[e->info.id] = e;
  waiting_[static_cast<size_t>(e->info.priority)].push_back(e);
  ++queued_;
  pending_bytes_ += bytes;
  ++totals_.submitted_total;
  cv_.notify_one();
  return e->info;
}

StatusOr<std::shared_ptr<LocalQueue::Entry>> LocalQueue::FindLocked(const std::string& id) {
  PurgeLocked(Clock::now());
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return NotFoundError("monitor: no job '" + id +
                         "'; expected the id of a job submitted in "
                         "the last result TTL");
  }
  return it->second;
}

StatusOr<JobInfo> LocalQueue::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  HG_ASSIGN_OR_RETURN(std::shared_ptr<Entry> e, FindLocked(id));
  return e->info;
}

StatusOr<JobInfo> LocalQueue::Cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  HG_ASSIGN_OR_RETURN(std::shared_ptr<Entry> e, FindLocked(id));
  const JobState s = e->info.state;
  if (s == JobState::kCancelled) return e->info;
  if (IsFinal(s)) {
    return FailedPreconditionError("monitor: job '" + id + "' is already " +
                                   std::string(JobStateName(s)) +
                                   "; expected a queued or running job");
  }
  e->info.state = JobState::kCancelled;
  e->cancel.store(true);
  if (s == JobState::kQueued) {
    auto& q = waiting_[static_cast<size_t>(e->info.priority)];
    q.erase(std::find(q.begin(), q.end(), e));
    --queued_;
    pending_bytes_ -= e->bytes;
    e->spec = JobSpec();
  }
  ++totals_.cancelled_total;
  FinishLocked(e, Clock::now());
  return e->info;
}

StatusOr<QueueStats> LocalQueue::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  PurgeLocked(Clock::now());
  QueueStats s = totals_;
  s.queued = queued_;
  s.running = running_;
  return s;
}

StatusOr<std::vector<JobInfo>> LocalQueue::List(size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  PurgeLocked(Clock::now());
  std::vector<JobInfo> out;
  for (const auto& [id, e] : jobs_) out.push_back(e->info);
  std::sort(out.begin(), out.end(), [](const JobInfo& a, const JobInfo& b) {
    return a.created_ms != b.created_ms ? a.created_ms > b.created_ms : a.id < b.id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

void LocalQueue::FinishLocked(const std::shared_ptr<Entry>& e, Clock::time_point now) {
  e->info.finished_ms = NowUnixMs();
  e->finished_at = now;
  if (!e->finished_listed) {
    e->finished_listed = true;
    finished_.push_back(e);
  }
  PurgeLocked(now);
}

void LocalQueue::PurgeLocked(Clock::time_point now) {
  const auto ttl = std::chrono::milliseconds(opts_.result_ttl_ms);
  while (!finished_.empty() && (finished_.front()->finished_at + ttl <= now ||
                                static_cast<int64_t>(finished_.size()) > opts_.max_finished_jobs)) {
    jobs_.erase(finished_.front()->info.id);
    finished_.pop_front();
  }
}

std::shared_ptr<LocalQueue::Entry> LocalQueue::TakeLocked() {
  for (int p = kNumPriorities - 1; p >= 0; --p) {
    auto& q = waiting_[static_cast<size_t>(p)];
    if (q.empty()) continue;
    std::shared_ptr<Entry> e = q.front();
    q.pop_front();
    --queued_;
    ++running_;
    e->info.state = JobState::kRunning;
    e->info.started_ms = NowUnixMs();
    e->info.attempts = 1;
    return e;
  }
  return nullptr;
}

void LocalQueue::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Entry> e;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || queued_ > 0; });
      if (stop_) return;
      e = TakeLocked();
    }
    if (e) RunOne(e);
  }
}

void LocalQueue::RunOne(const std::shared_ptr<Entry>& e) {
  bool stop_on_unsafe = false;
  MonitoredText input;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_on_unsafe = e->spec.stop_on_unsafe;
    input = BuildMonitoredText(std::move(e->spec));
    e->spec = JobSpec();
  }
  RunHooks hooks;
  hooks.on_total = [this, &e](int64_t total) {
    std::lock_guard<std::mutex> lock(mu_);
    e->info.windows_total = total;
  };
  hooks.on_progress = [this, &e](int64_t done) {
    std::lock_guard<std::mutex> lock(mu_);
    totals_.windows_total += done - e->info.windows_done;
    e->info.windows_done = done;
  };
  hooks.should_stop = [this, &e] { return e->cancel.load() || stopping_.load(); };
  StatusOr<JobResult> r = RunJob(*classifier_, input, stop_on_unsafe, opts_.run, hooks);
  std::string result_json = r.ok() ? JobResultToJson(*r) : "";
  std::lock_guard<std::mutex> lock(mu_);
  --running_;
  pending_bytes_ -= e->bytes;
  if (e->info.state == JobState::kCancelled) return;  // Cancel() finished it
  if (r.ok()) {
    e->info.state = JobState::kDone;
    e->info.result_json = std::move(result_json);
    ++totals_.done_total;
  } else if (r.status().code() == StatusCode::kCancelled) {
    e->info.state = JobState::kCancelled;  // Stop() cut it off
    ++totals_.cancelled_total;
  } else {
    e->info.state = JobState::kFailed;
    e->info.error = r.status().message();
    e->info.error_code = FailureCode(r.status());
    ++totals_.failed_total;
    HG_LOG(WARNING) << "monitor: job " << e->info.id << " failed: " << e->info.error;
  }
  FinishLocked(e, Clock::now());
}

}  // namespace haloguard::monitor
