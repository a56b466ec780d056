// libFuzzer target: monitor job payloads, as POSTed to /v1/monitor/jobs and as a Redis worker
// re-reads them (the stored form is a request body, so anyone who can write to Redis can hand
// a worker arbitrary bytes here). Each input must parse or give an error with a message; a
// parsed spec must survive its stored form: ParseJobRequest(JobSpecToJson(spec)) == spec.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "monitor/job_json.h"

namespace mon = haloguard::monitor;

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

bool Same(const mon::JobSpec& a, const mon::JobSpec& b) {
  if (a.is_messages != b.is_messages || a.document != b.document ||
      a.stop_on_unsafe != b.stop_on_unsafe || a.priority != b.priority ||
      a.metadata_json != b.metadata_json || a.messages.size() != b.messages.size()) {
    return false;
  }
  for (size_t i = 0; i < a.messages.size(); ++i) {
    if (a.messages[i].role != b.messages[i].role || a.messages[i].content != b.messages[i].content)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  mon::JobLimits limits;
  limits.max_messages = 64;  // small, so the limits are reached too
  limits.max_metadata_bytes = 512;
  mon::JobSpec spec;
  if (auto e = mon::ParseJobRequest(body, limits, &spec)) {
    Require(!e->message.empty() && !e->code.empty());
    return 0;
  }
  mon::JobSpec again;
  Require(!mon::ParseJobRequest(mon::JobSpecToJson(spec), limits, &again));
  Require(Same(spec, again));
  return 0;
}
