// JSONL reading shared by the eval inputs (datasets, scores, adjudications): one JSON object per
// line, bad rows reported with file and line number and skipped or fatal as the caller chooses.
// Internal to hg_eval (exposes nlohmann::json); other modules use the typed readers.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace haloguard::eval {

// What to do with a row that cannot be used: skip it (and report it) or stop with an error.
enum class BadRowPolicy : uint8_t { kSkip = 0, kFail };
// "skip" | "fail"; INVALID_ARGUMENT otherwise.
StatusOr<BadRowPolicy> ParseBadRowPolicy(std::string_view s);

struct BadRow {
  std::string file;    // the input file (or dataset name for rows that failed to classify)
  int64_t line = 0;    // 1-based line number; 0 when not tied to a line
  std::string reason;  // "bad JSON: ...", "missing label", "unknown label; expected ..., got ..."
};
// "file:line: reason".
std::string BadRowToString(const BadRow& r);

// Applies `policy` to one bad row: kSkip appends it to `bad_rows` (and logs a warning for the
// first few); kFail returns INVALID_ARGUMENT "file:line: reason" plus `hint` if not empty.
inline constexpr std::string_view kSkipHint =
    " (hint: --on-bad-row skip skips and reports such rows)";
Status HandleBadRow(BadRow row, BadRowPolicy policy, std::vector<BadRow>* bad_rows,
                    std::string_view hint = kSkipHint);

namespace internal {

struct JsonlOptions {
  BadRowPolicy policy = BadRowPolicy::kFail;
  // A last line with no trailing newline that is not valid JSON is taken as a write cut short by
  // a crash (scores files are appended line by line) and dropped, reported through
  // `truncated_tail`, instead of counting as a bad row.
  bool tolerate_truncated_tail = false;
  std::string_view fail_hint = kSkipHint;  // appended to a fatal bad-row error
};

struct JsonlStats {
  int64_t lines = 0;  // non-blank lines seen
  bool truncated_tail = false;
  int64_t valid_bytes = 0;  // length of the prefix that ends with the last complete line
};

// Parses `content` (the text of `file`) line by line. Blank lines are ignored (they hold no row).
// Each line must be a JSON object; `row_fn(line_number, object)` decides whether it is usable: a
// non-OK status from it is a bad row with that message. Bad rows go through HandleBadRow.
// Returns the first fatal error (policy kFail).
StatusOr<JsonlStats> ForEachJsonLine(
    const std::string& file, std::string_view content, const JsonlOptions& options,
    std::vector<BadRow>* bad_rows,
    const std::function<Status(int64_t line, const nlohmann::json& row)>& row_fn);

// Field helpers for row_fn: a missing key or JSON null reads as "", a number as its decimal text
// (ids); other types are an INVALID_ARGUMENT naming the key and the JSON type found.
StatusOr<std::string> OptionalStringField(const nlohmann::json& row, const char* key);
// Like OptionalStringField, but missing/null/"" is INVALID_ARGUMENT "missing <key>".
StatusOr<std::string> RequiredStringField(const nlohmann::json& row, const char* key);
// A finite number; missing/null/other types are INVALID_ARGUMENT.
StatusOr<double> RequiredNumberField(const nlohmann::json& row, const char* key);

}  // namespace internal
}  // namespace haloguard::eval
