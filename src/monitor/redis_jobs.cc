// RedisJobStore: Lua scripts for every state change, HMGET for reads, XLEN/XPENDING for stats.
#include "monitor/redis_jobs.h"

#include <charconv>

#include "monitor/job_json.h"

namespace haloguard::monitor {
namespace {

// KEYS: job, stream, stats, stream:high, stream:normal, stream:low.
// ARGV: id, spec, priority, metadata, created_ms, job_ttl_ms, max_queued.
constexpr const char* kSubmitLua = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local backlog = redis.call('XLEN', KEYS[4]) + redis.call('XLEN', KEYS[5]) +
                redis.call('XLEN', KEYS[6])
if backlog >= tonumber(ARGV[7]) then return -1 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'spec', ARGV[2], 'priority', ARGV[3],
           'metadata', ARGV[4], 'created_ms', ARGV[5], 'attempts', 0, 'windows_done', 0,
           'windows_total', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('XADD', KEYS[2], '*', 'job', ARGV[1])
redis.call('HINCRBY', KEYS[3], 'submitted', 1)
return 1
)lua";

// KEYS: job, stats. ARGV: worker, now_ms, max_attempts, result_ttl_ms, job_ttl_ms.
constexpr const char* kStartLua = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'gone', ''} end
if state ~= 'queued' and state ~= 'running' then return {'final', state} end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts > tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'state', 'failed', 'finished_ms', ARGV[2],
             'error_code', 'worker_lost',
             'error', 'monitor: ' .. (attempts - 1) .. ' workers stopped or died while running ' ..
                      'this job; expected one to finish it within ' .. ARGV[3] .. ' attempts')
  redis.call('HDEL', KEYS[1], 'spec')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('HINCRBY', KEYS[2], 'failed', 1)
  return {'final', 'failed'}
end
redis.call('HSET', KEYS[1], 'state', 'running', 'worker', ARGV[1], 'started_ms', ARGV[2],
           'windows_done', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {'run', redis.call('HGET', KEYS[1], 'spec') or ''}
)lua";

// KEYS: job, stats. ARGV: done, total, new_windows, job_ttl_ms.
constexpr const char* kProgressLua = R"lua(
redis.call('HINCRBY', KEYS[2], 'windows', ARGV[3])
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'gone' end
if state == 'running' then
  redis.call('HSET', KEYS[1], 'windows_done', ARGV[1], 'windows_total', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return state
)lua";

// KEYS: job, stats. ARGV: 'done' | 'failed', result or error, error_code, now_ms, result_ttl_ms.
constexpr const char* kFinishLua = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'gone' end
if state ~= 'queued' and state ~= 'running' then return state end
if ARGV[1] == 'done' then
  redis.call('HSET', KEYS[1], 'state', 'done', 'result', ARGV[2], 'finished_ms', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'state', 'failed', 'error', ARGV[2], 'error_code', ARGV[3],
             'finished_ms', ARGV[4])
end
redis.call('HDEL', KEYS[1], 'spec')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return ARGV[1]
)lua";

// KEYS: job, stats. ARGV: now_ms, result_ttl_ms.
constexpr const char* kCancelLua = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'gone' end
if state == 'queued' or state == 'running' then
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finished_ms', ARGV[1])
  redis.call('HDEL', KEYS[1], 'spec')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('HINCRBY', KEYS[2], 'cancelled', 1)
  return 'cancelled'
end
return state
)lua";

constexpr const char* kInfoFields[] = {"state",      "priority",    "metadata",     "created_ms",
                                       "started_ms", "finished_ms", "windows_done", "windows_total",
                                       "attempts",   "result",      "error",        "error_code"};

int64_t ToInt(const RedisReply& r) {
  if (r.type == RedisReply::Type::kInteger) return r.integer;
  int64_t v = 0;
  std::from_chars(r.str.data(), r.str.data() + r.str.size(), v);
  return v;
}

Status AtLeast(const char* flag, int64_t value, int64_t min) {
  if (value >= min) return OkStatus();
  return InvalidArgumentError(std::string(flag) + ": expected >= " + std::to_string(min) +
                              ", got " + std::to_string(value));
}

std::string NotFoundMessage(const std::string& id) {
  return "monitor: no job '" + id +
         "'; expected the id of a job submitted within the job TTL "
         "(finished jobs are kept for the result TTL)";
}

}  // namespace

Status ValidateRedisQueueOptions(const RedisQueueOptions& o) {
  HG_RETURN_IF_ERROR(ParseRedisUrl(o.url).status());
  if (o.prefix.empty()) return InvalidArgumentError("--queue-prefix: expected a non-empty prefix");
  HG_RETURN_IF_ERROR(AtLeast("--monitor-result-ttl-s", o.result_ttl_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--monitor-job-ttl-s", o.job_ttl_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--monitor-queue-size", o.max_queued_jobs, 1));
  HG_RETURN_IF_ERROR(AtLeast("--queue-connect-timeout-ms", o.connect_timeout_ms, 1));
  return AtLeast("--queue-command-timeout-ms", o.command_timeout_ms, 1);
}

std::string RedisStreamKey(const std::string& prefix, Priority p) {
  return prefix + ":stream:" + std::string(PriorityName(p));
}

std::string RedisJobKey(const std::string& prefix, const std::string& id) {
  return prefix + ":job:" + id;
}

RedisJobStore::RedisJobStore(RedisClient* client, const RedisQueueOptions* options)
    : client_(client), opts_(options), stats_key_(options->prefix + ":stats") {}

StatusOr<std::string> RedisJobStore::RunForString(const std::vector<std::string>& args) {
  HG_ASSIGN_OR_RETURN(RedisReply r, Run(args));
  if (r.type != RedisReply::Type::kString && r.type != RedisReply::Type::kStatus) {
    return InternalError("monitor: unexpected reply to " + args[0] + "; expected a string");
  }
  return std::move(r.str);
}

StatusOr<RedisReply> RedisJobStore::Run(const std::vector<std::string>& args) {
  StatusOr<RedisReply> r = client_->Command(args);
  // An error reply to a write (OOM, READONLY replica, ...) means the queue can't take work now.
  if (!r.ok() && r.status().code() == StatusCode::kFailedPrecondition) {
    return UnavailableError("monitor: " + r.status().message());
  }
  return r;
}

Status RedisJobStore::EnsureGroups() {
  for (int p = 0; p < kNumPriorities; ++p) {
    StatusOr<RedisReply> r =
        client_->Command({"XGROUP", "CREATE", RedisStreamKey(opts_->prefix, Priority(p)),
                          kRedisGroup, "0", "MKSTREAM"});
    if (!r.ok() && !IsRedisError(r.status(), "BUSYGROUP")) return r.status();
  }
  return OkStatus();
}

StatusOr<JobInfo> RedisJobStore::Submit(const JobSpec& spec) {
  JobInfo info;
  info.id = NewJobId();
  info.priority = spec.priority;
  info.metadata_json = spec.metadata_json;
  info.created_ms = NowUnixMs();
  std::vector<std::string> args = {"EVAL",
                                   kSubmitLua,
                                   "6",
                                   RedisJobKey(opts_->prefix, info.id),
                                   RedisStreamKey(opts_->prefix, spec.priority),
                                   stats_key_};
  for (int p = kNumPriorities - 1; p >= 0; --p) {
    args.push_back(RedisStreamKey(opts_->prefix, Priority(p)));
  }
  args.insert(args.end(),
              {info.id, JobSpecToJson(spec), std::string(PriorityName(spec.priority)),
               spec.metadata_json, std::to_string(info.created_ms),
               std::to_string(opts_->job_ttl_ms), std::to_string(opts_->max_queued_jobs)});
  HG_ASSIGN_OR_RETURN(RedisReply r, Run(args));
  if (r.integer == -1) {
    return ResourceExhaustedError("monitor: queue full; expected at most " +
                                  std::to_string(opts_->max_queued_jobs) +
                                  " waiting or running jobs (--monitor-queue-size); retry later");
  }
  if (r.integer != 1) return InternalError("monitor: job id " + info.id + " already exists");
  return info;
}

StatusOr<JobInfo> RedisJobStore::Get(const std::string& id) {
  std::vector<std::string> args = {"HMGET", RedisJobKey(opts_->prefix, id)};
  for (const char* f : kInfoFields) args.emplace_back(f);
  HG_ASSIGN_OR_RETURN(RedisReply r, Run(args));
  if (!r.is_array() || r.elements.size() != std::size(kInfoFields) || r.elements[0].is_nil()) {
    return NotFoundError(NotFoundMessage(id));
  }
  const std::vector<RedisReply>& v = r.elements;
  JobInfo info;
  info.id = id;
  const std::optional<JobState> state = ParseJobState(v[0].str);
  const std::optional<Priority> priority = ParsePriority(v[1].str);
  if (!state || !priority) {
    return DataLossError("monitor: job '" + id + "' has a damaged record in Redis (state '" +
                         v[0].str + "', priority '" + v[1].str + "')");
  }
  info.state = *state;
  info.priority = *priority;
  info.metadata_json = v[2].str;
  info.created_ms = ToInt(v[3]);
  info.started_ms = ToInt(v[4]);
  info.finished_ms = ToInt(v[5]);
  info.windows_done = ToInt(v[6]);
  info.windows_total = ToInt(v[7]);
  info.attempts = static_cast<int>(ToInt(v[8]));
  info.result_json = v[9].str;
  info.error = v[10].str;
  info.error_code = v[11].str;
  return info;
}

StatusOr<JobInfo> RedisJobStore::Cancel(const std::string& id) {
  HG_ASSIGN_OR_RETURN(
      std::string state,
      RunForString({"EVAL", kCancelLua, "2", RedisJobKey(opts_->prefix, id), stats_key_,
                    std::to_string(NowUnixMs()), std::to_string(opts_->result_ttl_ms)}));
  if (state == "gone") return NotFoundError(NotFoundMessage(id));
  if (state == "done" || state == "failed") {
    return FailedPreconditionError("monitor: job '" + id + "' is already " + state +
                                   "; expected a queued or running job");
  }
  return Get(id);
}

StatusOr<QueueStats> RedisJobStore::Stats() {
  QueueStats s;
  int64_t entries = 0, pending = 0;
  for (int p = 0; p < kNumPriorities; ++p) {
    const std::string stream = RedisStreamKey(opts_->prefix, Priority(p));
    HG_ASSIGN_OR_RETURN(RedisReply len, Run({"XLEN", stream}));
    entries += len.integer;
    StatusOr<RedisReply> pend = client_->Command({"XPENDING", stream, kRedisGroup});
    if (pend.ok() && pend->is_array() && !pend->elements.empty()) {
      pending += ToInt(pend->elements[0]);
    } else if (!pend.ok() && !IsRedisError(pend.status(), "NOGROUP")) {
      return pend.status();
    }
  }
  s.running = pending;
  s.queued = std::max<int64_t>(0, entries - pending);
  HG_ASSIGN_OR_RETURN(RedisReply all, Run({"HGETALL", stats_key_}));
  for (size_t i = 0; i + 1 < all.elements.size(); i += 2) {
    const std::string& k = all.elements[i].str;
    const int64_t v = ToInt(all.elements[i + 1]);
    if (k == "submitted") s.submitted_total = v;
    if (k == "done") s.done_total = v;
    if (k == "failed") s.failed_total = v;
    if (k == "cancelled") s.cancelled_total = v;
    if (k == "windows") s.windows_total = v;
  }
  return s;
}

StatusOr<RedisStart> RedisJobStore::StartJob(const std::string& id, const std::string& worker,
                                             int max_attempts) {
  HG_ASSIGN_OR_RETURN(
      RedisReply r, Run({"EVAL", kStartLua, "2", RedisJobKey(opts_->prefix, id), stats_key_, worker,
                         std::to_string(NowUnixMs()), std::to_string(max_attempts),
                         std::to_string(opts_->result_ttl_ms), std::to_string(opts_->job_ttl_ms)}));
  if (!r.is_array() || r.elements.size() != 2) {
    return InternalError("monitor: unexpected reply to the start script");
  }
  RedisStart s;
  const std::string& kind = r.elements[0].str;
  s.kind = kind == "run"     ? RedisStart::Kind::kRun
           : kind == "final" ? RedisStart::Kind::kFinal
                             : RedisStart::Kind::kGone;
  (s.kind == RedisStart::Kind::kRun ? s.spec_json : s.state) = r.elements[1].str;
  return s;
}

StatusOr<std::string> RedisJobStore::Progress(const std::string& id, int64_t done, int64_t total,
                                              int64_t new_windows) {
  return RunForString({"EVAL", kProgressLua, "2", RedisJobKey(opts_->prefix, id), stats_key_,
                       std::to_string(done), std::to_string(total), std::to_string(new_windows),
                       std::to_string(opts_->job_ttl_ms)});
}

StatusOr<std::string> RedisJobStore::Finish(const std::string& id, JobState state,
                                            const std::string& payload,
                                            const std::string& error_code) {
  HG_CHECK(state == JobState::kDone || state == JobState::kFailed);
  return RunForString({"EVAL", kFinishLua, "2", RedisJobKey(opts_->prefix, id), stats_key_,
                       std::string(JobStateName(state)), payload, error_code,
                       std::to_string(NowUnixMs()), std::to_string(opts_->result_ttl_ms)});
}

Status RedisJobStore::Ack(const std::string& stream, const std::string& entry_id) {
  HG_RETURN_IF_ERROR(Run({"XACK", stream, kRedisGroup, entry_id}).status());
  return Run({"XDEL", stream, entry_id}).status();
}

}  // namespace haloguard::monitor
