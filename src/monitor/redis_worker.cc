// RedisWorker implementation: stream reads (XAUTOCLAIM, XREADGROUP), the per-entry protocol
// (start script, RunJob with progress, finish script, XACK + XDEL), heartbeats and shutdown.
#include "monitor/redis_worker.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <random>

#include "core/clock.h"
#include "core/log.h"
#include "monitor/job_json.h"

namespace haloguard::monitor {

struct RedisWorker::Entry {
  int priority = 0;  // Priority as int; higher first
  std::string stream, id, consumer;
  std::string job;  // the entry's "job" field ("" when missing)
};

namespace {

using Entry = RedisWorker::Entry;

Status AtLeast(const char* flag, int64_t value, int64_t min) {
  if (value >= min) return OkStatus();
  return InvalidArgumentError(std::string(flag) + ": expected >= " + std::to_string(min) +
                              ", got " + std::to_string(value));
}

std::string DefaultName() {
  char host[256] = "host";
  gethostname(host, sizeof(host) - 1);
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "%04x",
                static_cast<unsigned>(std::random_device{}() & 0xFFFF));
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + suffix;
}

Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const StatusOr<T>& s) {
  return s.status();
}

// [id, [field, value, ...]] (fields nil for an entry deleted while pending).
Entry ParseEntry(const RedisReply& r, int priority, const std::string& stream,
                 const std::string& consumer) {
  Entry e{priority, stream, "", consumer, ""};
  if (!r.is_array() || r.elements.empty()) return e;
  e.id = r.elements[0].str;
  if (r.elements.size() > 1 && r.elements[1].is_array()) {
    const auto& f = r.elements[1].elements;
    for (size_t i = 0; i + 1 < f.size(); i += 2) {
      if (f[i].str == "job") e.job = f[i + 1].str;
    }
  }
  return e;
}

// One entry idle past the visibility timeout, from the highest priority that has one.
StatusOr<std::vector<Entry>> Reclaim(RedisClient& c, const RedisWorkerOptions& o,
                                     const std::string& consumer, std::string* cursors) {
  for (int p = kNumPriorities - 1; p >= 0; --p) {
    const std::string stream = RedisStreamKey(o.queue.prefix, Priority(p));
    HG_ASSIGN_OR_RETURN(RedisReply r, c.Command({"XAUTOCLAIM", stream, kRedisGroup, consumer,
                                                 std::to_string(o.visibility_timeout_ms),
                                                 cursors[p], "COUNT", "1"}));
    if (!r.is_array() || r.elements.size() < 2) continue;
    cursors[p] = r.elements[0].str.empty() ? "0-0" : r.elements[0].str;
    std::vector<Entry> out;
    for (const RedisReply& item : r.elements[1].elements) {
      out.push_back(ParseEntry(item, p, stream, consumer));
    }
    if (!out.empty()) return out;
  }
  return std::vector<Entry>{};
}

// New entries: at most one per stream, highest priority first.
StatusOr<std::vector<Entry>> ReadNew(RedisClient& c, const RedisWorkerOptions& o,
                                     const std::string& consumer) {
  std::vector<std::string> args = {"XREADGROUP", "GROUP", kRedisGroup, consumer,
                                   "COUNT",      "1",     "BLOCK",     std::to_string(o.block_ms),
                                   "STREAMS"};
  for (int p = kNumPriorities - 1; p >= 0; --p) {
    args.push_back(RedisStreamKey(o.queue.prefix, Priority(p)));
  }
  for (int p = 0; p < kNumPriorities; ++p) args.emplace_back(">");
  HG_ASSIGN_OR_RETURN(RedisReply r, c.Command(args));
  std::vector<Entry> out;
  for (const RedisReply& s : r.elements) {  // [[stream, [[id, fields], ...]], ...]
    if (!s.is_array() || s.elements.size() != 2) continue;
    int priority = 0;
    for (int p = 0; p < kNumPriorities; ++p) {
      if (s.elements[0].str == RedisStreamKey(o.queue.prefix, Priority(p))) priority = p;
    }
    for (const RedisReply& item : s.elements[1].elements) {
      out.push_back(ParseEntry(item, priority, s.elements[0].str, consumer));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Entry& a, const Entry& b) { return a.priority > b.priority; });
  return out;
}

// Resets the entry's idle time (heartbeat), or sets it to `idle_ms` (hand it back).
Status Claim(RedisClient& c, const Entry& e, int64_t idle_ms) {
  std::vector<std::string> args = {"XCLAIM", e.stream, kRedisGroup, e.consumer, "0", e.id};
  if (idle_ms > 0) args.insert(args.end(), {"IDLE", std::to_string(idle_ms)});
  args.emplace_back("JUSTID");
  return c.Command(args).status();
}

}  // namespace

Status ValidateRedisWorkerOptions(const RedisWorkerOptions& o) {
  HG_RETURN_IF_ERROR(ValidateRedisQueueOptions(o.queue));
  HG_RETURN_IF_ERROR(AtLeast("--concurrency", o.concurrency, 1));
  HG_RETURN_IF_ERROR(AtLeast("--visibility-timeout-ms", o.visibility_timeout_ms, 100));
  HG_RETURN_IF_ERROR(AtLeast("--heartbeat-ms", o.heartbeat_ms, 0));
  if (o.heartbeat_ms >= o.visibility_timeout_ms) {
    return InvalidArgumentError("--heartbeat-ms: expected < --visibility-timeout-ms (" +
                                std::to_string(o.visibility_timeout_ms) + "), got " +
                                std::to_string(o.heartbeat_ms));
  }
  HG_RETURN_IF_ERROR(AtLeast("--block-ms", o.block_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--max-attempts", o.max_attempts, 1));
  return AtLeast("--monitor-windows-per-call", o.run.windows_per_call, 1);
}

RedisWorker::RedisWorker(guard::Classifier* classifier, RedisWorkerOptions options,
                         RedisAddress address)
    : classifier_(classifier), opts_(std::move(options)), address_(std::move(address)) {
  if (opts_.name.empty()) opts_.name = DefaultName();
  if (opts_.heartbeat_ms == 0)
    opts_.heartbeat_ms = std::max<int64_t>(1, opts_.visibility_timeout_ms / 4);
}

StatusOr<std::unique_ptr<RedisWorker>> RedisWorker::Start(guard::Classifier* classifier,
                                                          RedisWorkerOptions options) {
  HG_RETURN_IF_ERROR(ValidateRedisWorkerOptions(options));
  HG_ASSIGN_OR_RETURN(RedisAddress address, ParseRedisUrl(options.queue.url));
  std::unique_ptr<RedisWorker> w(new RedisWorker(classifier, std::move(options), address));
  {
    std::unique_ptr<RedisClient> c = w->NewClient(0);
    RedisJobStore store(c.get(), &w->opts_.queue);
    HG_RETURN_IF_ERROR(store.EnsureGroups());
  }
  w->live_loops_ = w->opts_.concurrency;
  for (int i = 0; i < w->opts_.concurrency; ++i) {
    w->loops_.emplace_back([self = w.get(), i] { self->Loop(i); });
  }
  w->heartbeat_ = std::thread([self = w.get()] { self->Heartbeat(); });
  HG_LOG(INFO) << "monitor worker " << w->opts_.name << ": " << w->opts_.concurrency
               << " loop(s) on redis " << RedisAddressName(address);
  return w;
}

RedisWorker::~RedisWorker() { Stop(std::chrono::milliseconds(0)); }

std::unique_ptr<RedisClient> RedisWorker::NewClient(int64_t extra_timeout_ms) const {
  return std::make_unique<RedisClient>(
      address_, std::chrono::milliseconds(opts_.queue.connect_timeout_ms),
      std::chrono::milliseconds(opts_.queue.command_timeout_ms + extra_timeout_ms));
}

template <typename Fn>
auto RedisWorker::Retrying(Fn fn) -> decltype(fn()) {
  int64_t backoff_ms = 50;
  for (;;) {
    auto r = fn();
    const Status s = StatusOf(r);
    if (s.ok() || s.code() != StatusCode::kUnavailable || abandon_.load()) return r;
    HG_LOG(WARNING) << "monitor worker " << opts_.name << ": " << s.message() << "; retrying in "
                    << backoff_ms << " ms";
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min<int64_t>(backoff_ms * 2, 2000);
  }
}

void RedisWorker::Loop(int index) {
  const std::string consumer = opts_.name + "-" + std::to_string(index);
  std::unique_ptr<RedisClient> client = NewClient(opts_.block_ms);
  RedisJobStore store(client.get(), &opts_.queue);
  std::string cursors[kNumPriorities] = {"0-0", "0-0", "0-0"};
  int64_t backoff_ms = 50;
  while (!stop_.load()) {
    StatusOr<std::vector<Entry>> got = Reclaim(*client, opts_, consumer, cursors);
    if (got.ok() && got->empty()) got = ReadNew(*client, opts_, consumer);
    if (!got.ok()) {
      if (IsRedisError(got.status(), "NOGROUP")) (void)store.EnsureGroups();  // Redis lost data
      HG_LOG(WARNING) << "monitor worker " << consumer << ": " << got.status().message();
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min<int64_t>(backoff_ms * 2, 2000);
      continue;
    }
    backoff_ms = 50;
    for (const Entry& e : *got) Hold(e);
    for (const Entry& e : *got) {
      if (stop_.load()) {
        (void)Claim(*client, e, opts_.visibility_timeout_ms);  // unstarted: hand it back
      } else {
        Process(*client, store, e);
      }
      Release(e);
    }
  }
  --live_loops_;
}

void RedisWorker::Process(RedisClient& client, RedisJobStore& store, const Entry& e) {
  if (!IsJobId(e.job)) {
    HG_LOG(WARNING) << "monitor worker: entry " << e.id << " of " << e.stream
                    << " has no valid job id (got '" << e.job.substr(0, 64)
                    << "'; expected mon-<32 hex>); dropping it";
    (void)Retrying([&] { return store.Ack(e.stream, e.id); });
    return;
  }
  StatusOr<RedisStart> start =
      Retrying([&] { return store.StartJob(e.job, e.consumer, opts_.max_attempts); });
  if (!start.ok()) return;  // abandoned while Redis was down: the entry stays pending
  if (start->kind != RedisStart::Kind::kRun) {
    (void)Retrying([&] { return store.Ack(e.stream, e.id); });
    return;
  }
  RunAndFinish(client, store, e, std::move(start->spec_json));
}

void RedisWorker::RunAndFinish(RedisClient& client, RedisJobStore& store, const Entry& e,
                               std::string spec_json) {
  JobSpec spec;
  JobLimits limits;
  limits.max_metadata_bytes = limits.max_messages = INT64_MAX;  // checked at submission
  if (std::optional<JobError> bad = ParseJobRequest(spec_json, limits, &spec)) {
    (void)Retrying([&] {
      return store.Finish(e.job, JobState::kFailed,
                          "monitor: stored job request is invalid: " + bad->message,
                          "invalid_payload");
    });
    (void)Retrying([&] { return store.Ack(e.stream, e.id); });
    return;
  }
  const bool stop_on_unsafe = spec.stop_on_unsafe;
  const MonitoredText input = BuildMonitoredText(std::move(spec));
  int64_t total = 0, reported = 0;
  bool ended_elsewhere = false;  // cancelled, expired or finished by another worker
  RunHooks hooks;
  auto progress = [&](int64_t done) {
    StatusOr<std::string> state = store.Progress(e.job, done, total, done - reported);
    if (state.ok()) {
      reported = done;
      ended_elsewhere = *state != "running";
    }
  };
  hooks.on_total = [&](int64_t t) {
    total = t;
    progress(0);
  };
  hooks.on_progress = progress;
  hooks.should_stop = [&] { return ended_elsewhere || abandon_.load(); };
  StatusOr<JobResult> r = RunJob(*classifier_, input, stop_on_unsafe, opts_.run, hooks);
  if (!r.ok() && r.status().code() == StatusCode::kCancelled && !ended_elsewhere) {
    ++abandoned_;
    (void)Claim(client, e, opts_.visibility_timeout_ms);
    return;
  }
  if (!ended_elsewhere) {
    const std::string payload = r.ok() ? JobResultToJson(*r) : r.status().message();
    StatusOr<std::string> fin = Retrying([&] {
      return store.Finish(e.job, r.ok() ? JobState::kDone : JobState::kFailed, payload,
                          r.ok() ? "" : FailureCode(r.status()));
    });
    if (!fin.ok()) return;  // Redis unreachable and abandoned: another worker redoes it
  }
  (void)Retrying([&] { return store.Ack(e.stream, e.id); });
  ++finished_;
}

void RedisWorker::Hold(const Entry& e) {
  std::lock_guard<std::mutex> lock(held_mu_);
  held_.emplace(e.stream, e.id, e.consumer);
}

void RedisWorker::Release(const Entry& e) {
  std::lock_guard<std::mutex> lock(held_mu_);
  held_.erase({e.stream, e.id, e.consumer});
}

void RedisWorker::Heartbeat() {
  std::unique_ptr<RedisClient> client = NewClient(0);
  std::unique_lock<std::mutex> lock(held_mu_);
  while (!heartbeat_stop_) {
    heartbeat_cv_.wait_for(lock, std::chrono::milliseconds(opts_.heartbeat_ms));
    const auto held = held_;
    lock.unlock();
    for (const auto& [stream, id, consumer] : held) {
      Status s = Claim(*client, Entry{0, stream, id, consumer, ""}, 0);
      if (!s.ok()) {
        HG_LOG(WARNING) << "monitor worker heartbeat: " << s.message();
      }
    }
    lock.lock();
  }
}

bool RedisWorker::Stop(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (stopped_) return stop_result_;
  stopped_ = true;
  stop_.store(true);
  const Clock::time_point end = Clock::now() + timeout;
  while (live_loops_.load() > 0 && Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  abandon_.store(true);
  for (std::thread& t : loops_) t.join();
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    heartbeat_stop_ = true;
  }
  heartbeat_cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  stop_result_ = abandoned_.load() == 0;
  HG_LOG(INFO) << "monitor worker " << opts_.name << ": stopped after " << finished_.load()
               << " job(s)" << (stop_result_ ? "" : "; abandoned running jobs to other workers");
  return stop_result_;
}

}  // namespace haloguard::monitor
