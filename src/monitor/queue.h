// JobQueue: what the HTTP routes and `haloguard monitor` call, whichever backend holds the jobs:
// LocalQueue (in-process worker threads, the default of `haloguard serve`) or RedisQueue (a Redis
// Stream consumed by `haloguard worker` processes).
//
//   HG_ASSIGN_OR_RETURN(JobInfo job, queue.Submit(std::move(spec)));   // state queued
//   ... later ...
//   HG_ASSIGN_OR_RETURN(JobInfo now, queue.Get(job.id));  // running 3/10, then done + result
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "monitor/job.h"

namespace haloguard::monitor {

// Gauges (queued, running) and counters (the rest, monotonic over the backend's life; for Redis
// over the life of its data, shared by every server and worker).
struct QueueStats {
  int64_t queued = 0;   // waiting for a worker
  int64_t running = 0;  // taken by a worker, not finished
  int64_t submitted_total = 0;
  int64_t done_total = 0;
  int64_t failed_total = 0;
  int64_t cancelled_total = 0;
  int64_t windows_total = 0;  // windows scored
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // Enqueues a validated spec; returns the new job (state queued). Errors: RESOURCE_EXHAUSTED
  // when the queue is full (message says which limit), UNAVAILABLE when stopped or when the
  // backend can't be reached.
  virtual StatusOr<JobInfo> Submit(JobSpec spec) = 0;

  // The job now. Errors: NOT_FOUND for an unknown id or one whose result expired (TTL),
  // UNAVAILABLE when the backend can't be reached.
  virtual StatusOr<JobInfo> Get(const std::string& id) = 0;

  // Cancels a queued or running job (a running job stops before its next window call) and
  // returns it, state cancelled; a cancelled job is returned unchanged. Errors: NOT_FOUND as
  // Get, FAILED_PRECONDITION for a job already done or failed, UNAVAILABLE.
  virtual StatusOr<JobInfo> Cancel(const std::string& id) = 0;

  // Errors: UNAVAILABLE when the backend can't be reached.
  virtual StatusOr<QueueStats> Stats() = 0;

  // Up to `limit` jobs still known (waiting, running, or finished within their TTL), newest
  // first (the web console's jobs list). Errors: UNIMPLEMENTED where the backend can't list
  // (the Redis lane), UNAVAILABLE.
  virtual StatusOr<std::vector<JobInfo>> List(size_t /*limit*/) {
    return UnimplementedError("monitor: this queue can't list jobs; expected GET /v1/monitor/jobs/{id}");
  }
};

// The machine-readable failure code stored with a failed job for `status`: "invalid_input"
// (INVALID_ARGUMENT: the text can't be monitored), "worker_lost" (ABORTED: workers died on it
// too often), else "internal_error".
std::string FailureCode(const Status& status);

}  // namespace haloguard::monitor
