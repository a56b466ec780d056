// AccessLog implementation (nlohmann::json for escaping; invalid UTF-8 replaced, never thrown).
#include "server/access_log.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/log.h"

namespace haloguard::server {
namespace {

std::string NowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // generous: GCC's truncation check assumes every %d can be 11 chars
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<AccessLog>(new AccessLog(stdout, false));
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return NotFoundError("--access-log: cannot open '" + path + "' for append");
  return std::unique_ptr<AccessLog>(new AccessLog(f, true));
}

AccessLog::~AccessLog() {
  if (owned_)
    std::fclose(file_);
  else
    std::fflush(file_);
}

std::string AccessLog::Format(const AccessRecord& r, const std::string& ts) {
  nlohmann::ordered_json j;
  j["ts"] = ts;
  j["request_id"] = r.request_id;
  j["remote"] = r.remote;
  j["method"] = r.method;
  j["path"] = r.path;
  j["route"] = r.route;
  j["status"] = r.status;
  j["duration_ms"] = std::round(r.duration_ms * 1000) / 1000;
  j["bytes_in"] = r.bytes_in;
  j["bytes_out"] = r.bytes_out;
  j["inputs"] = r.num_inputs;
  j["prompt_tokens"] = r.prompt_tokens;
  j["verdicts"] = r.verdicts;
  if (!r.error_code.empty()) j["error"] = r.error_code;
  if (!r.prompts.empty()) j["prompts"] = r.prompts;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AccessLog::Write(const AccessRecord& r) {
  const std::string line = Format(r, NowRfc3339()) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_) return;
  const bool ok = std::fwrite(line.data(), 1, line.size(), file_) == line.size() &&
                  std::fflush(file_) == 0;
  if (!ok) {
    // A sink that stopped taking lines (a pipe whose reader exited, a full disk) is reported
    // once; serving goes on without the access log.
    broken_ = true;
    const int err = errno;
    HG_LOG(ERROR) << "access log: write failed (" << std::strerror(err)
                  << "); access logging is off until the server restarts";
  }
}

bool AccessLog::broken() const {
  std::lock_guard<std::mutex> lock(mu_);
  return broken_;
}

}  // namespace haloguard::server
