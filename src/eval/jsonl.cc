// JSONL line reader with bad-row reporting (see jsonl.h).
#include "eval/jsonl.h"

#include <cmath>

#include "core/log.h"

namespace haloguard::eval {
namespace {

// Warnings for skipped rows stop after this many; the full list goes to report.json.
constexpr size_t kMaxLoggedBadRows = 20;

std::string JsonTypeName(const nlohmann::json& v) { return v.type_name(); }

// nlohmann's parse_error text names the byte and the token at fault; it is kept for the report.
StatusOr<nlohmann::json> ParseLine(std::string_view line) {
  try {
    return nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("bad JSON; expected one JSON object per line (") +
                                e.what() + ")");
  }
}

}  // namespace

StatusOr<BadRowPolicy> ParseBadRowPolicy(std::string_view s) {
  if (s == "skip") return BadRowPolicy::kSkip;
  if (s == "fail") return BadRowPolicy::kFail;
  return InvalidArgumentError("--on-bad-row: expected 'skip' or 'fail', got '" + std::string(s) +
                              "'");
}

std::string BadRowToString(const BadRow& r) {
  if (r.line <= 0) return r.file + ": " + r.reason;
  return r.file + ":" + std::to_string(r.line) + ": " + r.reason;
}

Status HandleBadRow(BadRow row, BadRowPolicy policy, std::vector<BadRow>* bad_rows,
                    std::string_view hint) {
  if (policy == BadRowPolicy::kFail) {
    return InvalidArgumentError(BadRowToString(row) + std::string(hint));
  }
  if (bad_rows->size() < kMaxLoggedBadRows) {
    HG_LOG(WARNING) << "skipping " << BadRowToString(row);
  } else if (bad_rows->size() == kMaxLoggedBadRows) {
    HG_LOG(WARNING) << "more bad rows skipped; all are listed in report.json";
  }
  bad_rows->push_back(std::move(row));
  return OkStatus();
}

namespace internal {

StatusOr<JsonlStats> ForEachJsonLine(
    const std::string& file, std::string_view content, const JsonlOptions& options,
    std::vector<BadRow>* bad_rows,
    const std::function<Status(int64_t line, const nlohmann::json& row)>& row_fn) {
  JsonlStats stats;
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    const bool has_newline = end != std::string_view::npos;
    if (!has_newline) end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    ++line_no;
    const size_t next = has_newline ? end + 1 : end;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      pos = next;
      if (has_newline) stats.valid_bytes = static_cast<int64_t>(next);
      continue;
    }
    ++stats.lines;
    StatusOr<nlohmann::json> row = ParseLine(line);
    if (!row.ok() && !has_newline && options.tolerate_truncated_tail) {
      stats.truncated_tail = true;
      --stats.lines;
      break;
    }
    Status s;
    if (!row.ok()) {
      s = row.status();
    } else if (!row->is_object()) {
      s = InvalidArgumentError("expected a JSON object, got " + JsonTypeName(*row));
    } else {
      s = row_fn(line_no, *row);
    }
    if (!s.ok()) {
      HG_RETURN_IF_ERROR(
          HandleBadRow({file, line_no, s.message()}, options.policy, bad_rows, options.fail_hint));
    }
    pos = next;
    stats.valid_bytes = static_cast<int64_t>(next);
  }
  return stats;
}

StatusOr<std::string> OptionalStringField(const nlohmann::json& row, const char* key) {
  const auto it = row.find(key);
  if (it == row.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  return InvalidArgumentError(std::string("field '") + key + "': expected a string, got " +
                              JsonTypeName(*it));
}

StatusOr<std::string> RequiredStringField(const nlohmann::json& row, const char* key) {
  HG_ASSIGN_OR_RETURN(std::string v, OptionalStringField(row, key));
  if (v.empty()) return InvalidArgumentError(std::string("missing ") + key);
  return v;
}

StatusOr<double> RequiredNumberField(const nlohmann::json& row, const char* key) {
  const auto it = row.find(key);
  if (it == row.end() || it->is_null()) return InvalidArgumentError(std::string("missing ") + key);
  if (!it->is_number()) {
    return InvalidArgumentError(std::string("field '") + key + "': expected a number, got " +
                                JsonTypeName(*it));
  }
  const double v = it->get<double>();
  if (!std::isfinite(v)) {
    return InvalidArgumentError(std::string("field '") + key + "': expected a finite number");
  }
  return v;
}

}  // namespace internal
}  // namespace haloguard::eval
