// MonitorFiles: what `haloguard monitor FILE...` does once it has a queue: submit each file as a
// job (a few in flight at a time), wait for it, and write one JSON line per file, in order.
// Works with either backend, so `--queue redis://` needs no model on the submitting machine.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "monitor/job_json.h"
#include "monitor/queue.h"

namespace haloguard::monitor {

struct MonitorFilesOptions {
  bool json_requests = false;   // each file is a request body ({"document"} / {"messages"})
                                // rather than the raw text of one document
  bool stop_on_unsafe = false;  // for raw-text files
  Priority priority = Priority::kNormal;  // for raw-text files
  int64_t max_file_bytes = int64_t{64} << 20;
  int max_in_flight = 4;  // jobs submitted and not yet finished
  int64_t poll_ms = 50;
  JobLimits limits;
};

struct MonitorFilesSummary {
  int files = 0;
  int done = 0;
  int unsafe = 0;  // done with an unsafe verdict
  int failed = 0;  // unreadable, invalid, refused or failed jobs
};

// Reads each path ("-" = `in`), submits it to `queue`, and writes to `out`, in path order, one
// line per file: {"file": PATH, ...the job object of GET /v1/monitor/jobs/{id}...} once the
// job is final, or {"file": PATH, "error": {"message", "code"}} when the file could not become
// a job. A full queue is waited out, not reported. Not thread-safe (one call at a time).
MonitorFilesSummary MonitorFiles(JobQueue& queue, const std::vector<std::string>& paths,
                                 const MonitorFilesOptions& options, std::ostream& out,
                                 std::istream& in);

}  // namespace haloguard::monitor
