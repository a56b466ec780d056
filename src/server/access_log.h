// Structured access log: one JSON object per line, written atomically (one write per line).
// Prompt text is recorded only when the operator asks for it (--log-prompts).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace haloguard::server {

struct AccessRecord {
  std::string request_id;
  std::string remote;
  std::string method;
  std::string path;   // as requested (bounded by the request-line limit)
  std::string route;  // canonical route label ("/v1/classify", "other")
  int status = 0;
  double duration_ms = 0;
  size_t bytes_in = 0;
  size_t bytes_out = 0;
  int num_inputs = 0;  // sequences classified
  int64_t prompt_tokens = 0;
  std::vector<std::string> verdicts;  // "safe" / "unsafe:<category>", one per input
  std::string error_code;             // "" on success
  std::vector<std::string> prompts;   // only filled when prompt logging is on
};

class AccessLog {
 public:
  // `path`: "-" for stdout, else a file opened for append. Errors: NOT_FOUND (can't open).
  static StatusOr<std::unique_ptr<AccessLog>> Open(const std::string& path);
  ~AccessLog();

  // Thread-safe. Timestamp is added here (UTC, RFC 3339 with milliseconds). When a write
  // fails (EPIPE, ENOSPC) the failure is logged once and later lines are dropped: a broken
  // sink never stops the server.
  void Write(const AccessRecord& r);
  bool broken() const;  // a write has failed
  // The JSON line for `r` (no newline), with `ts` as given. Exposed for tests.
  static std::string Format(const AccessRecord& r, const std::string& ts);

 private:
  AccessLog(std::FILE* f, bool owned) : file_(f), owned_(owned) {}
  mutable std::mutex mu_;
  std::FILE* file_;
  bool owned_;
  bool broken_ = false;
};

}  // namespace haloguard::server
