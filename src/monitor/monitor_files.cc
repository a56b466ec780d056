// MonitorFiles implementation: a FIFO of in-flight jobs polled until final; lines are written
// as soon as the oldest job finishes, so output order is input order.
#include "monitor/monitor_files.h"

#include <chrono>
#include <deque>
#include <fstream>
#include <istream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "core/utf8.h"
#include "monitor/text_span.h"

namespace haloguard::monitor {
namespace {

using OJson = nlohmann::ordered_json;

std::string Dump(const OJson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Reads in chunks and stops one byte past max_bytes, so an oversized file (or endless stdin) is
// refused without being read whole.
StatusOr<std::string> ReadInput(const std::string& path, int64_t max_bytes, std::istream& in) {
  std::ifstream file;
  std::istream* src = &in;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return NotFoundError(path + ": cannot open; expected a readable file");
    src = &file;
  }
  std::string data;
  char chunk[1 << 16];
  while (static_cast<int64_t>(data.size()) <= max_bytes &&
         src->read(chunk, sizeof(chunk)).gcount() > 0) {
    data.append(chunk, static_cast<size_t>(src->gcount()));
  }
  if (static_cast<int64_t>(data.size()) > max_bytes) {
    return InvalidArgumentError(path + ": larger than " + std::to_string(max_bytes) +
                                " bytes; expected at most that (--max-file-bytes)");
  }
  if (src->bad()) return DataLossError(path + ": read error");
  return data;
}

StatusOr<JobSpec> ToSpec(const std::string& path, std::string data, const MonitorFilesOptions& o) {
  JobSpec spec;
  if (o.json_requests) {
    if (std::optional<JobError> e = ParseJobRequest(data, o.limits, &spec)) {
      return InvalidArgumentError(path + ": " + e->message);
    }
    return spec;
  }
  // Raw text gets the checks a {"document"} body gets: UTF-8, and something to monitor.
  HG_RETURN_IF_ERROR(ValidateUtf8(data).WithPrefix(path));
  const auto [begin, end] = PythonStripBounds(data);
  if (begin == end)
    return InvalidArgumentError(path + ": empty; expected some non-whitespace text");
  spec.document = std::move(data);
  spec.stop_on_unsafe = o.stop_on_unsafe;
  spec.priority = o.priority;
  return spec;
}

std::string ErrorLine(const std::string& path, const Status& s) {
  OJson j;
  j["file"] = path;
  j["error"] = {{"message", s.message()}, {"code", std::string(StatusCodeName(s.code()))}};
  return Dump(j);
}

std::string JobLine(const std::string& path, const JobInfo& info) {
  const std::string job = JobInfoToJson(info);  // "{...}": put "file" first
  return "{\"file\":" + Dump(OJson(path)) + "," + job.substr(1);
}

struct InFlight {
  std::string path;
  StatusOr<JobInfo> job;
};

StatusOr<JobInfo> SubmitFile(JobQueue& queue, const std::string& path, const MonitorFilesOptions& o,
                             std::istream& in) {
  StatusOr<std::string> data = ReadInput(path, o.max_file_bytes, in);
  if (!data.ok()) return data.status();
  HG_ASSIGN_OR_RETURN(JobSpec spec, ToSpec(path, std::move(data).value(), o));
  return queue.Submit(std::move(spec));
}

bool IsUnsafe(const std::string& result_json) {
  const nlohmann::json r = nlohmann::json::parse(result_json, nullptr, false);
  return r.is_object() && r.value("safety_label", "") == "Unsafe";
}

}  // namespace

MonitorFilesSummary MonitorFiles(JobQueue& queue, const std::vector<std::string>& paths,
                                 const MonitorFilesOptions& options, std::ostream& out,
                                 std::istream& in) {
  MonitorFilesSummary sum;
  std::deque<InFlight> flight;
  size_t next = 0;
  const auto poll = std::chrono::milliseconds(options.poll_ms);
  while (next < paths.size() || !flight.empty()) {
    // Keep up to max_in_flight jobs submitted; a full queue is retried after a poll.
    while (next < paths.size() && static_cast<int>(flight.size()) < options.max_in_flight) {
      StatusOr<JobInfo> job = SubmitFile(queue, paths[next], options, in);
      if (!job.ok() && job.status().code() == StatusCode::kResourceExhausted &&
          paths[next] != "-") {
        if (flight.empty()) std::this_thread::sleep_for(poll);
        break;  // read again once jobs (ours or others') have left the queue
      }
      flight.push_back({paths[next++], std::move(job)});
    }
    if (flight.empty()) continue;
    InFlight& head = flight.front();
    if (head.job.ok() && !IsFinal(head.job->state)) {
      std::this_thread::sleep_for(poll);
      head.job = queue.Get(head.job->id);
      continue;
    }
    ++sum.files;
    if (!head.job.ok()) {
      ++sum.failed;
      out << ErrorLine(head.path, head.job.status()) << "\n";
    } else {
      const JobInfo& info = *head.job;
      sum.done += info.state == JobState::kDone;
      sum.failed += info.state != JobState::kDone;
      sum.unsafe += info.state == JobState::kDone && IsUnsafe(info.result_json);
      out << JobLine(head.path, info) << "\n";
    }
    out.flush();
    flight.pop_front();
  }
  return sum;
}

}  // namespace haloguard::monitor
