// Dataset JSONL reader and the card's benchmark column names.
#include "eval/dataset.h"

#include <array>
#include <filesystem>
#include <unordered_map>
#include <utility>

#include "core/mapped_file.h"

namespace haloguard::eval {
namespace {

// Datasets are read whole; 1 GiB is far above any benchmark (the largest shared one is 1.5 MB).
constexpr size_t kMaxDatasetBytes = size_t{1} << 30;

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

StatusOr<std::string> CategoryField(const nlohmann::json& row) {
  const auto it = row.find("category");
  if (it == row.end() || !it->is_array()) return internal::OptionalStringField(row, "category");
  std::string joined;
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return InvalidArgumentError(std::string("field 'category': expected a string or a list of "
                                              "strings, got a list holding ") +
                                  v.type_name());
    }
    if (!joined.empty()) joined += ",";
    joined += v.get<std::string>();
  }
  return joined;
}

StatusOr<LabelledExample> ParseExample(int64_t line, const nlohmann::json& row) {
  LabelledExample ex;
  ex.line = line;
  const auto text = row.find("text");
  if (text == row.end() || text->is_null()) return InvalidArgumentError("missing text");
  if (!text->is_string()) {
    return InvalidArgumentError(std::string("field 'text': expected a string, got ") +
                                text->type_name());
  }
  ex.text = text->get<std::string>();
  HG_ASSIGN_OR_RETURN(std::string label, internal::RequiredStringField(row, "label"));
  HG_ASSIGN_OR_RETURN(ex.label, ParseLabel(label));
  HG_ASSIGN_OR_RETURN(ex.id, internal::OptionalStringField(row, "id"));
  if (ex.id.empty()) ex.id = "line-" + std::to_string(line);
  HG_ASSIGN_OR_RETURN(ex.category, CategoryField(row));
  HG_ASSIGN_OR_RETURN(ex.lang, internal::OptionalStringField(row, "lang"));
  HG_ASSIGN_OR_RETURN(ex.source, internal::OptionalStringField(row, "source"));
  return ex;
}

}  // namespace

std::string_view LabelName(Label l) { return l == Label::kUnsafe ? "unsafe" : "safe"; }

StatusOr<Label> ParseLabel(std::string_view s) {
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "safe") return Label::kSafe;
  if (lower == "unsafe") return Label::kUnsafe;
  return InvalidArgumentError("unknown label; expected 'safe' or 'unsafe', got '" + std::string(s) +
                              "'");
}

StatusOr<DatasetSpec> ParseDatasetSpec(std::string_view arg) {
  DatasetSpec spec;
  const size_t eq = arg.find('=');
  bool named = eq != std::string_view::npos && eq > 0;
  for (size_t i = 0; named && i < eq; ++i) named = IsNameChar(arg[i]);
  if (named) {
    spec.name = std::string(arg.substr(0, eq));
    spec.path = std::string(arg.substr(eq + 1));
  } else {
    spec.path = std::string(arg);
    spec.name = std::filesystem::path(spec.path).stem().string();
  }
  if (spec.path.empty()) {
    return InvalidArgumentError("--data: expected PATH or NAME=PATH, got '" + std::string(arg) +
                                "'");
  }
  if (spec.name.empty()) {
    return InvalidArgumentError("--data: cannot derive a dataset name from '" + spec.path +
                                "'; expected NAME=PATH");
  }
  return spec;
}

StatusOr<Dataset> ReadDataset(const DatasetSpec& spec, BadRowPolicy policy, int64_t limit) {
  HG_ASSIGN_OR_RETURN(std::string content, ReadFileToString(spec.path, kMaxDatasetBytes));
  Dataset ds{spec.name, spec.path, {}, {}, 0};
  std::unordered_map<std::string, int64_t> first_line;  // id -> line it first appeared on
  internal::JsonlOptions options{policy, /*tolerate_truncated_tail=*/false};
  auto row_fn = [&](int64_t line, const nlohmann::json& row) -> Status {
    if (limit > 0 && static_cast<int64_t>(ds.examples.size()) >= limit) return OkStatus();
    HG_ASSIGN_OR_RETURN(LabelledExample ex, ParseExample(line, row));
    const auto [it, inserted] = first_line.emplace(ex.id, line);
    if (!inserted) {
      return InvalidArgumentError("duplicate id '" + ex.id + "' (first on line " +
                                  std::to_string(it->second) + ")");
    }
    ds.examples.push_back(std::move(ex));
    return OkStatus();
  };
  HG_ASSIGN_OR_RETURN(internal::JsonlStats stats,
                      internal::ForEachJsonLine(spec.path, content, options, &ds.bad_rows, row_fn));
  ds.rows_read = stats.lines;
  if (ds.examples.empty()) {
    return InvalidArgumentError(spec.path +
                                ": no usable rows; expected JSONL objects with 'text' "
                                "and 'label', got " +
                                std::to_string(stats.lines) + " rows (" +
                                std::to_string(ds.bad_rows.size()) + " bad)");
  }
  return ds;
}

std::string DisplayName(std::string_view dataset) {
  static const std::unordered_map<std::string_view, std::string_view> kNames = {
      {"oai", "OAI"},
      {"aegis", "Aegis"},
      {"aegis2", "Aegis2.0"},
      {"aegis2.0", "Aegis2.0"},
      {"toxicchat", "ToxiC"},
      {"toxicchat_full", "ToxiC (full)"},
      {"simplesafetytests", "SimpST"},
      {"harmbench", "HarmB"},
      {"wildguardtest", "WildG"},
      {"xstest", "XSTest"},
      {"advbench", "AdvB"},
      {"jbb", "JBB"},
      {"do_not_answer", "DNA"},
      {"multijail", "MultiJ"},
      {"beavertails_eval", "BeaverT"},
      {"polyguardprompts", "PGP"},
  };
  const auto it = kNames.find(dataset);
  return std::string(it == kNames.end() ? dataset : it->second);
}

}  // namespace haloguard::eval
