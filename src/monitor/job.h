// Monitor jobs: what a client submits (JobSpec), what a finished job found (JobResult) and what
// GET /v1/monitor/jobs/{id} shows (JobInfo). Plain structs shared by the in-process queue, the
// Redis queue, the worker and the HTTP routes; JSON lives in job_json.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "guard/result.h"

namespace haloguard::monitor {

// queued -> running -> done | failed; queued | running -> cancelled (DELETE).
enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };

std::string_view JobStateName(JobState s);  // "queued", "running", "done", "failed", "cancelled"
std::optional<JobState> ParseJobState(std::string_view name);
inline bool IsFinal(JobState s) { return s != JobState::kQueued && s != JobState::kRunning; }

// Higher priorities are taken first; FIFO within one priority.
enum class Priority { kLow = 0, kNormal = 1, kHigh = 2 };
inline constexpr int kNumPriorities = 3;

std::string_view PriorityName(Priority p);  // "low", "normal", "high"
std::optional<Priority> ParsePriority(std::string_view name);

// One message of a {"messages": [...]} job.
struct JobMessage {
  std::string role;
  std::string content;  // text parts joined by "\n"; "" for a message without content
};

// A validated job request. Exactly one of `document` / `messages` is used (is_messages says
// which). Every message is monitored, not only the last one (see MonitoredText).
struct JobSpec {
  bool is_messages = false;
  std::string document;
  std::vector<JobMessage> messages;
  bool stop_on_unsafe = false;  // stop at the first window the policy marks unsafe
  Priority priority = Priority::kNormal;
  std::string metadata_json;  // the client's "metadata" object as compact JSON ("" = none)
};

// [begin, end) of a piece of the monitored text, in UTF-8 bytes and in Unicode code points
// (Python str indices). Byte ends are widened to code point boundaries first, so both spans
// cover the same characters even when a token boundary falls inside a multi-byte character.
struct TextSpan {
  int64_t byte_begin = 0, byte_end = 0;
  int64_t char_begin = 0, char_end = 0;
};

// The verdict on one scored window.
struct WindowScore {
  int64_t index = 0;
  int64_t token_begin = 0, token_end = 0;  // [begin, end) of the stripped text's tokens
  TextSpan span;
  double p_unsafe = 0;
  bool unsafe = false;
  std::string category;  // "none" when safe
};

// The windowed verdict of a finished job. The riskiest window (highest p_unsafe, first on ties)
// decides: unsafe, category, action, threshold and category_scores are that window's.
struct JobResult {
  bool unsafe = false;
  double p_unsafe = 0;
  std::string category = "none";
  std::string action = "allow";
  double threshold = 0.65;
  std::vector<guard::CategoryScore> category_scores;  // the riskiest window's, all 29
  int64_t window_count = 0;                           // windows the input splits into
  int64_t windows_scored = 0;                         // == window_count unless stopped early
  bool stopped_early = false;  // stop_on_unsafe hit an unsafe window before the last one
  int64_t selected_window = 0;
  std::vector<WindowScore> windows;          // every scored window, in order
  int64_t input_tokens = 0;                  // tokens of the stripped text
  int64_t input_bytes = 0;                   // bytes of the monitored text (before stripping)
  int64_t input_chars = 0;                   // code points of the monitored text
  int message_begin = -1, message_end = -1;  // messages jobs: [first, last] message index
                                             // overlapping the riskiest window; else -1
};

// What a GET shows. Times are unix milliseconds (0 = not yet).
struct JobInfo {
  std::string id;
  JobState state = JobState::kQueued;
  Priority priority = Priority::kNormal;
  std::string metadata_json;
  int64_t created_ms = 0, started_ms = 0, finished_ms = 0;
  int64_t windows_done = 0;
  int64_t windows_total = 0;  // 0 until the running job has tokenized its input
  int attempts = 0;           // times a worker started the job (> 1 after a worker died)
  std::string result_json;    // kDone: JobResultToJson(result)
  std::string error;          // kFailed: why ("where: what; expected X, got Y")
  std::string error_code;     // kFailed: machine-readable reason ("invalid_input", ...)
};

// A fresh job id: "mon-" + 32 lower-case hex digits from a per-thread random generator.
std::string NewJobId();
// True for ids this module hands out (so a path segment can be checked before any lookup).
bool IsJobId(std::string_view id);

// Unix time in milliseconds.
int64_t NowUnixMs();

}  // namespace haloguard::monitor
