// Saved per-prompt scores: the `--scores` JSONL format that `haloguard eval` writes as it goes
// (resumable by id) and that eval/calibrate read back to recompute every metric without a model.
//
// One object per line, in this key order:
//   {"id": "oai-0001", "dataset": "oai", "text_sha256": "<64 hex>", "label": "unsafe",
//    "lang": "en", "lang_group": "English", "lang_group_source": "lang", "category": "H",
//    "p_unsafe": 0.93, "logit": 2.59, "pred_category": "hate_speech", "window_count": 1}
// plus "text" when asked for. lang/category are null when absent. logit = log(p_unsafe/p_safe)
// of the raw (uncalibrated) two-way softmax.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "eval/adjudication.h"
#include "eval/dataset.h"
#include "eval/jsonl.h"
#include "eval/lang_groups.h"
#include "eval/metrics.h"
#include "guard/calibration.h"

namespace haloguard::eval {

// |logit| cap: log(p_unsafe/p_safe) overflows only when one probability is exactly 0, and no
// double logit beyond ~745 maps to a probability short of 0 or 1 anyway.
inline constexpr double kMaxAbsLogit = 800;

struct ScoreRecord {
  std::string id;
  std::string dataset;
  std::string text_sha256;  // lowercase hex SHA-256 of the text ("" if unknown)
  Label label = Label::kSafe;
  std::string lang;
  LangGroup lang_group = LangGroup::kUnknown;
  LangGroupSource lang_group_source = LangGroupSource::kNone;
  std::string category;       // gold category ("" = none)
  double p_unsafe = 0;        // in [0, 1]
  double logit = 0;           // in [-kMaxAbsLogit, kMaxAbsLogit]
  std::string pred_category;  // the classifier's category ("none" when it said safe)
  int64_t window_count = 1;
  std::string text;  // only with --save-text
};

// The record as the metric code sees it.
inline Scored ToScored(const ScoreRecord& r) {
  return {r.p_unsafe, r.logit, r.label == Label::kUnsafe};
}

// The record with the label `adjudication` gives it, if any (null = benchmark labels).
Scored ToScored(const ScoreRecord& r, const Adjudication* adjudication);

// `s` under temperature scaling: p_unsafe = cal.Apply(logit), logit / T.
Scored Calibrate(Scored s, const guard::Calibration& cal);

// log(p_unsafe / p_safe), clamped to +-kMaxAbsLogit; INVALID_ARGUMENT unless both are finite,
// in [0, 1] and not both 0.
StatusOr<double> LogitFromProbs(double p_unsafe, double p_safe);

// Lowercase hex SHA-256 (OpenSSL EVP).
std::string Sha256Hex(std::string_view data);

// One JSON line, without the newline.
std::string ScoreRecordToJson(const ScoreRecord& r);

struct ScoresFile {
  std::vector<ScoreRecord> records;  // file order
  std::vector<BadRow> bad_rows;
  bool truncated_tail = false;  // a torn last line (a crash mid-write) was dropped
  int64_t valid_bytes = 0;      // length of the file up to its last complete line
};

// Reads a scores file. Rows need id, label and p_unsafe, and dataset unless `default_dataset` is
// non-empty (rows without one, e.g. scores made by other tools, then belong to it); a missing logit is derived from
// p_unsafe, a present one must agree with it (|sigmoid(logit) - p_unsafe| <= 1e-9); a missing
// lang_group is resolved from lang (and text, if saved). Duplicate (dataset, id) pairs and
// malformed rows are bad rows under `policy`. A missing file is NOT_FOUND.
StatusOr<ScoresFile> ReadScores(const std::string& path, BadRowPolicy policy,
                                const std::string& default_dataset = "");

// The dataset name for rows of a scores file that name none: the file's base name without its
// extension ("runs/other-tool.jsonl" -> "other-tool").
std::string DatasetNameForScoresFile(const std::string& path);

// Appends score lines to a file, flushing after every batch so that an interrupted run keeps
// everything it reported. Not thread-safe; move-only.
class ScoresWriter {
 public:
  // Opens (creating) `path` for appending after cutting it to `keep_bytes` (the valid prefix
  // from ReadScores; 0 starts afresh). Errors name the path and errno text.
  static StatusOr<ScoresWriter> Open(const std::string& path, int64_t keep_bytes);
  ScoresWriter(ScoresWriter&& o) noexcept;
  ScoresWriter& operator=(ScoresWriter&& o) noexcept;
  ScoresWriter(const ScoresWriter&) = delete;
  ScoresWriter& operator=(const ScoresWriter&) = delete;
  ~ScoresWriter();

  Status Append(std::span<const ScoreRecord> records);
  // fsyncs and closes; the destructor closes without reporting errors.
  Status Close();

 private:
  ScoresWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace haloguard::eval
