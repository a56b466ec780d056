// Adjudication JSONL reader (see adjudication.h).
#include "eval/adjudication.h"

#include "core/mapped_file.h"
#include "eval/jsonl.h"

namespace haloguard::eval {
namespace {

constexpr size_t kMaxAdjudicationBytes = size_t{256} << 20;

}  // namespace

StatusOr<Adjudication> Adjudication::Read(const std::string& path) {
  HG_ASSIGN_OR_RETURN(std::string content, ReadFileToString(path, kMaxAdjudicationBytes));
  Adjudication adj;
  adj.path_ = path;
  auto row_fn = [&](int64_t, const nlohmann::json& row) -> Status {
    HG_ASSIGN_OR_RETURN(std::string id, internal::RequiredStringField(row, "id"));
    HG_ASSIGN_OR_RETURN(std::string label_text, internal::RequiredStringField(row, "label"));
    HG_ASSIGN_OR_RETURN(Label label, ParseLabel(label_text));
    HG_ASSIGN_OR_RETURN(std::string dataset, internal::OptionalStringField(row, "dataset"));
    if (!adj.Add(dataset, id, label)) {
      return InvalidArgumentError("id '" + id + "' adjudicated twice" +
                                  (dataset.empty() ? "" : " for dataset '" + dataset + "'"));
    }
    return OkStatus();
  };
  std::vector<BadRow> unused;
  internal::JsonlOptions options{BadRowPolicy::kFail, /*tolerate_truncated_tail=*/false,
                                 /*fail_hint=*/""};
  HG_RETURN_IF_ERROR(internal::ForEachJsonLine(path, content, options, &unused, row_fn).status());
  return adj;
}

std::optional<Label> Adjudication::Lookup(const std::string& dataset, const std::string& id) const {
  if (auto it = labels_.find({dataset, id}); it != labels_.end()) return it->second;
  if (auto it = labels_.find({std::string(), id}); it != labels_.end()) return it->second;
  return std::nullopt;
}

bool Adjudication::Add(const std::string& dataset, const std::string& id, Label label) {
  return labels_.emplace(std::make_pair(dataset, id), label).second;
}

}  // namespace haloguard::eval
