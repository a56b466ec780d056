// Labelled prompt sets for evaluation: JSONL rows {text, label: safe|unsafe, id?, category?,
// lang?, source?}, read with bad rows reported by line number (jsonl.h), and the card's short
// benchmark names used as Markdown column headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "eval/jsonl.h"

namespace haloguard::eval {

enum class Label : uint8_t { kSafe = 0, kUnsafe = 1 };
// "safe" | "unsafe".
std::string_view LabelName(Label l);
// Accepts "safe" / "unsafe" in any letter case (the card's safety_label spells "Safe"/"Unsafe");
// anything else is INVALID_ARGUMENT "unknown label; expected 'safe' or 'unsafe', got '...'".
StatusOr<Label> ParseLabel(std::string_view s);

struct LabelledExample {
  std::string id;    // the row's id, or "line-<N>" when it has none
  std::string text;  // valid UTF-8 (the JSON parser rejects anything else)
  Label label = Label::kSafe;
  std::string category;  // gold category ("" = none); a JSON list is joined with ","
  std::string lang;      // ISO 639 code as given ("" = none)
  std::string source;    // free text ("" = none)
  int64_t line = 0;      // 1-based line in the file
};

// `--data` argument: "PATH" (name = file stem) or "NAME=PATH" (NAME of [A-Za-z0-9_.-]+).
struct DatasetSpec {
  std::string name;
  std::string path;
};
// INVALID_ARGUMENT for an empty path or name.
StatusOr<DatasetSpec> ParseDatasetSpec(std::string_view arg);

struct Dataset {
  std::string name;
  std::string path;
  std::vector<LabelledExample> examples;  // in file order
  std::vector<BadRow> bad_rows;           // rows skipped under BadRowPolicy::kSkip
  int64_t rows_read = 0;                  // non-blank lines
};

// Reads a dataset. Bad rows (bad JSON, not an object, missing/non-string text, missing or
// unknown label, wrongly typed fields, duplicate id) are skipped and listed, or fatal, per
// `policy`. `limit` > 0 keeps only the first `limit` good rows. Errors: NOT_FOUND / file errors
// from ReadFileToString, INVALID_ARGUMENT for a fatal bad row or a file with no usable row.
StatusOr<Dataset> ReadDataset(const DatasetSpec& spec, BadRowPolicy policy, int64_t limit = 0);

// Short column name as in the card's F1 table ("oai" -> "OAI", "toxicchat" -> "ToxiC",
// "simplesafetytests" -> "SimpST", "harmbench" -> "HarmB", "wildguardtest" -> "WildG", ...);
// unknown names are returned unchanged.
std::string DisplayName(std::string_view dataset);

}  // namespace haloguard::eval
