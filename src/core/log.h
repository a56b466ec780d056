// Minimal leveled logging to stderr: HG_LOG(INFO) << "loaded " << n << " tensors";
// The level comes from HALOGUARD_LOG_LEVEL (debug|info|warning|error), default info.
#pragma once

#include <sstream>

namespace haloguard {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Current threshold; messages below it are dropped.
LogLevel GetLogLevel();
void SetLogLevel(LogLevel level);

namespace internal {
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return os_; }

 private:
  LogLevel level_;
  std::ostringstream os_;
};
}  // namespace internal
}  // namespace haloguard

#define HG_LOG_LEVEL_DEBUG ::haloguard::LogLevel::kDebug
#define HG_LOG_LEVEL_INFO ::haloguard::LogLevel::kInfo
#define HG_LOG_LEVEL_WARNING ::haloguard::LogLevel::kWarning
#define HG_LOG_LEVEL_ERROR ::haloguard::LogLevel::kError

#define HG_LOG(level)                                                        \
  if (HG_LOG_LEVEL_##level < ::haloguard::GetLogLevel()) {                   \
  } else                                                                     \
    ::haloguard::internal::LogMessage(HG_LOG_LEVEL_##level, __FILE__, __LINE__).stream()
