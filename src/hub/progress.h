// Download progress on stderr: a redrawn bar on a TTY, a few plain lines otherwise (logs, CI).
// Not thread-safe: one Progress per download.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/clock.h"

namespace haloguard::hub {

class Progress {
 public:
  // `enabled` false prints nothing. `out` defaults to stderr; `is_tty` to isatty(fileno(out)).
  explicit Progress(bool enabled, FILE* out = stderr, int is_tty = -1);

  // Starts one file: `total` bytes (0 if unknown), `done` already on disk (a resumed download).
  void Start(const std::string& name, uint64_t total, uint64_t done);
  void Advance(uint64_t bytes);
  // Ends the current file; `ok` false prints nothing more than the last state.
  void Finish(bool ok);

 private:
  void Draw(bool final);

  bool enabled_;
  FILE* out_;
  bool tty_;
  std::string name_;
  uint64_t total_ = 0;
  uint64_t done_ = 0;
  uint64_t start_done_ = 0;
  int last_quarter_ = 0;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

// "1.6 GB", "712.3 MB", "512 B" (decimal units, like huggingface_hub's tqdm bars).
std::string HumanBytes(double bytes);

}  // namespace haloguard::hub
