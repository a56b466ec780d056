// JSON for monitor jobs: request bodies -> JobSpec (with errors naming the bad field), JobSpec ->
// its stored form (what a Redis worker re-reads), JobResult and JobInfo -> the API's shapes.
// The only files of hg_monitor that include nlohmann::json are job_json.cc and redis_*.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "monitor/job.h"

namespace haloguard::monitor {

struct JobLimits {
  int max_json_depth = 32;             // nesting of the request body (metadata included)
  int64_t max_metadata_bytes = 16384;  // compact JSON of "metadata" (echoed by every GET)
  int64_t max_messages = 100000;       // entries of "messages"
};

// A request the API answers 400 for. `param` names the field ("messages[2].content"), "" for
// the body as a whole; `code` is machine-readable ("invalid_json", "empty_input", ...).
struct JobError {
  std::string message;  // "where: what; expected X, got Y"
  std::string param;
  std::string code;
};

// Parses a POST /v1/monitor/jobs body:
//   {"document": "..."} | {"messages": [{"role": "...", "content": "..." | [text parts] | null}]}
//   plus optional "metadata" (object), "priority" ("low" | "normal" | "high"), "stop_on_unsafe".
// The body must be a JSON object of valid UTF-8 with exactly one of document / messages, no
// other fields, and some non-whitespace text to monitor. Fills `out` or returns the error.
std::optional<JobError> ParseJobRequest(std::string_view body, const JobLimits& limits,
                                        JobSpec* out);

// The stored form of a spec: a request body that ParseJobRequest turns back into `spec`.
std::string JobSpecToJson(const JobSpec& spec);

// The "result" object of a done job (field names follow the card's /v1/classify result where
// they mean the same; probabilities rounded to 4 decimals like the card; offsets documented in
// docs/MONITOR.md).
std::string JobResultToJson(const JobResult& r);

// The job object answered by POST (202), GET and DELETE.
std::string JobInfoToJson(const JobInfo& info);

}  // namespace haloguard::monitor
