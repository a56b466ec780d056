// RunJob: one monitor job from text to windowed verdict. Tokenizes the stripped text once,
// then scores its windows a few at a time (built on demand from the token ids, never all at
// once) through Classifier::ScoreWindows(background = true), reporting progress and stopping on
// cancellation or, when asked, at the first unsafe window.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "guard/result.h"
#include "monitor/job.h"

namespace haloguard::monitor {

// The text a job monitors: the document, or every message's content joined by "\n\n" (in
// message order, roles left out, so that spans point straight into the contents).
struct MonitoredText {
  std::string text;
  // messages jobs: [begin, end) bytes of message i's content in `text`; empty for documents.
  std::vector<std::pair<size_t, size_t>> messages;
};

// Moves the document (or the message contents) out of `spec`.
MonitoredText BuildMonitoredText(JobSpec&& spec);

struct RunOptions {
  int windows_per_call = 4;  // windows per ScoreWindows call (progress/cancel granularity)
  // Optional: true while the synchronous lane has work waiting or running. Before every
  // ScoreWindows call the job waits (polling every gate_poll_ms) until it is false, so a
  // classifier that cannot preempt background work still delays /v1/classify by at most one
  // in-flight call (see docs/MONITOR.md, "Priority").
  std::function<bool()> foreground_busy;
  int64_t gate_poll_ms = 2;
};

// Optional callbacks, called on the job's thread.
struct RunHooks {
  std::function<void(int64_t windows_total)> on_total;    // once, after tokenizing
  std::function<void(int64_t windows_done)> on_progress;  // after every ScoreWindows call
  std::function<bool()> should_stop;                      // polled between calls (cancel)
};

// Scores `input` with `classifier` (window length and stride from classifier.info()).
// Errors: INVALID_ARGUMENT when the text is empty after Python-style stripping, is not valid
// UTF-8, or tokenizes to nothing; CANCELLED when should_stop() returned true; a window's
// scoring error (prefixed "window K"); INTERNAL when the classifier breaks its contract (token
// spans out of order or range, wrong number of verdicts). Thread-safe if the classifier is.
StatusOr<JobResult> RunJob(guard::Classifier& classifier, const MonitoredText& input,
                           bool stop_on_unsafe, const RunOptions& options,
                           const RunHooks& hooks = {});

}  // namespace haloguard::monitor
