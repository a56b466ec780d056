// Adjudication file for de-noised evaluation: corrected gold labels for prompts whose benchmark
// label was judged wrong. JSONL, one row per corrected prompt:
//   {"id": "toxicchat-0123", "label": "safe", "dataset": "toxicchat", "note": "benign question"}
// "dataset" is optional (an id then matches in any dataset); "note" is free text, ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/status.h"
#include "eval/dataset.h"

namespace haloguard::eval {

class Adjudication {
 public:
  // Every row must be valid: the file is small and hand-curated, so any bad row (bad JSON,
  // missing id or label, unknown label, an id given twice for one dataset) is an
  // INVALID_ARGUMENT naming the file and line.
  static StatusOr<Adjudication> Read(const std::string& path);

  // The corrected label for (dataset, id): a dataset-qualified row wins over an unqualified one.
  std::optional<Label> Lookup(const std::string& dataset, const std::string& id) const;
  // Records a correction ("" dataset = any). Returns false if that key was already set.
  bool Add(const std::string& dataset, const std::string& id, Label label);

  int64_t size() const { return static_cast<int64_t>(labels_.size()); }
  const std::string& path() const { return path_; }
  // Keys as (dataset or "", id), for counting corrections that matched no prompt.
  const std::map<std::pair<std::string, std::string>, Label>& entries() const { return labels_; }

 private:
  std::string path_;
  std::map<std::pair<std::string, std::string>, Label> labels_;
};

}  // namespace haloguard::eval
