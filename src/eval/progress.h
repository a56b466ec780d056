// Progress bar on stderr for long evaluation runs: a redrawn line on a terminal, a line per 10%
// otherwise (so CI logs stay short). Not thread-safe; one bar at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace haloguard::eval {

class ProgressBar {
 public:
  // `total` units (prompts), of which `already_done` were done before this run (resumed; they
  // count toward the bar but not the rate). `enabled` = false prints nothing.
  ProgressBar(int64_t total, int64_t already_done, std::string label, bool enabled,
              FILE* out = stderr);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Marks `n` more units done; `detail` (e.g. the dataset) is shown after the counts.
  void Advance(int64_t n, std::string_view detail = {});
  // Draws the final state and ends the line (idempotent; the destructor calls it).
  void Finish();

  // "123/456  27%  12.3/s  ETA 1m02s" for the given state (exposed for tests).
  static std::string FormatStatus(int64_t done, int64_t total, double rate_per_s);

 private:
  void Draw(bool force);

  int64_t total_, done_, start_done_;
  std::string label_;
  std::string detail_;
  bool enabled_, tty_, finished_ = false;
  FILE* out_;
  Clock::time_point start_, last_draw_;
  int last_decile_ = -1;
};

}  // namespace haloguard::eval
