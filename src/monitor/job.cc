// Job state and priority names, job ids, failure codes.
#include "monitor/job.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <random>

#include "monitor/queue.h"

namespace haloguard::monitor {
namespace {

constexpr std::array<std::string_view, 5> kStateNames = {"queued", "running", "done", "failed",
                                                         "cancelled"};
constexpr std::array<std::string_view, kNumPriorities> kPriorityNames = {"low", "normal", "high"};
constexpr std::string_view kIdPrefix = "mon-";
constexpr size_t kIdHexDigits = 32;

}  // namespace

std::string_view JobStateName(JobState s) { return kStateNames[static_cast<size_t>(s)]; }

std::optional<JobState> ParseJobState(std::string_view name) {
  for (size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

std::string_view PriorityName(Priority p) { return kPriorityNames[static_cast<size_t>(p)]; }

std::optional<Priority> ParsePriority(std::string_view name) {
  for (size_t i = 0; i < kPriorityNames.size(); ++i) {
    if (kPriorityNames[i] == name) return static_cast<Priority>(i);
  }
  return std::nullopt;
}

std::string NewJobId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[kIdHexDigits + 1];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return std::string(kIdPrefix) + buf;
}

bool IsJobId(std::string_view id) {
  if (id.size() != kIdPrefix.size() + kIdHexDigits || id.substr(0, kIdPrefix.size()) != kIdPrefix)
    return false;
  for (char c : id.substr(kIdPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string FailureCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return "invalid_input";
    case StatusCode::kAborted:
      return "worker_lost";
    default:
      return "internal_error";
  }
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace haloguard::monitor
