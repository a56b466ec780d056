// The monitor's Redis data model and the operations on it, shared by RedisQueue (servers) and
// RedisWorker (workers). Layout (P = options.prefix, default "haloguard:monitor"):
//   P:stream:{high,normal,low}  Streams of {"job": ID} entries, consumer group "workers"
//   P:job:ID                     hash: state, spec (the request, until the job ends), result or
//                                error, progress, times, attempts, worker; TTL job_ttl_ms while
//                                unfinished (refreshed by progress), result_ttl_ms once final
//   P:stats                      hash of counters: submitted, done, failed, cancelled, windows
// Every state change is one Lua script, so it is atomic and idempotent: the first completion of
// a job wins and a repeated one (a worker presumed dead that comes back) changes nothing.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "monitor/job.h"
#include "monitor/queue.h"
#include "monitor/redis_client.h"

namespace haloguard::monitor {

struct RedisQueueOptions {
  std::string url;                                 // redis://[:PASSWORD@]HOST[:PORT][/DB]
  std::string prefix = "haloguard:monitor";        // key prefix (several deployments per Redis)
  int64_t result_ttl_ms = int64_t{3600} * 1000;    // finished jobs are kept this long
  int64_t job_ttl_ms = int64_t{24 * 3600} * 1000;  // an unfinished job without progress expires
  int64_t max_queued_jobs = 100000;  // stream entries (waiting + running); beyond: 429
  int64_t connect_timeout_ms = 2000;
  int64_t command_timeout_ms = 5000;
};

// Checks ranges and parses the URL; INVALID_ARGUMENT naming the flag.
Status ValidateRedisQueueOptions(const RedisQueueOptions& o);

inline constexpr const char* kRedisGroup = "workers";

std::string RedisStreamKey(const std::string& prefix, Priority p);
std::string RedisJobKey(const std::string& prefix, const std::string& id);

// What StartJob found.
struct RedisStart {
  enum class Kind { kRun, kGone, kFinal } kind = Kind::kGone;
  std::string spec_json;  // kRun: the stored request
  std::string state;      // kFinal: "done", "failed" or "cancelled"
};

// Operations on one Redis through one client (not thread-safe, like the client). Errors:
// UNAVAILABLE when Redis can't be reached or refuses a write (e.g. out of memory), NOT_FOUND /
// FAILED_PRECONDITION / RESOURCE_EXHAUSTED as JobQueue documents.
class RedisJobStore {
 public:
  // Both must outlive the store.
  RedisJobStore(RedisClient* client, const RedisQueueOptions* options);

  // Creates the consumer group on the three streams (MKSTREAM, from the first entry, so jobs
  // added before any worker existed are delivered); an existing group is fine.
  Status EnsureGroups();

  // JobQueue operations.
  StatusOr<JobInfo> Submit(const JobSpec& spec);
  StatusOr<JobInfo> Get(const std::string& id);
  StatusOr<JobInfo> Cancel(const std::string& id);
  StatusOr<QueueStats> Stats();

  // Worker side. StartJob marks the job running for `worker` (attempts + 1, TTL refreshed), or
  // fails it with "worker_lost" once attempts would exceed max_attempts.
  StatusOr<RedisStart> StartJob(const std::string& id, const std::string& worker, int max_attempts);
  // Records progress (only while running) and adds `new_windows` to the windows counter;
  // returns the job's state ("gone" once expired) so a cancelled job can stop.
  StatusOr<std::string> Progress(const std::string& id, int64_t done, int64_t total,
                                 int64_t new_windows);
  // done: `payload` is JobResultToJson; failed: the error message and its code. Returns the
  // state after the call (the earlier final state if the job had already ended).
  StatusOr<std::string> Finish(const std::string& id, JobState state, const std::string& payload,
                               const std::string& error_code);
  // XACK + XDEL of a stream entry that needs no more work.
  Status Ack(const std::string& stream, const std::string& entry_id);

 private:
  StatusOr<RedisReply> Run(const std::vector<std::string>& args);
  StatusOr<std::string> RunForString(const std::vector<std::string>& args);  // string replies
  RedisClient* client_;
  const RedisQueueOptions* opts_;
  std::string stats_key_;
};

}  // namespace haloguard::monitor
