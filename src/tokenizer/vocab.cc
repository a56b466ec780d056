// tokenizer.json / tokenizer_config.json parsing with nlohmann::json (exceptions caught here).
#include "tokenizer/vocab.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "core/mapped_file.h"
#include "tokenizer/vocab_sax.h"

namespace haloguard::tokenizer {
namespace {

using nlohmann::json;

// Limits far above any real tokenizer; they keep a hostile file from exhausting memory.
constexpr int64_t kMaxTokenId = 4 * 1024 * 1024;
constexpr size_t kMaxFileBytes = 512u << 20;

std::string Dump(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

Status Unsupported(const std::string& where, const std::string& expected, const json& got) {
  return UnimplementedError(where + ": unsupported tokenizer component; expected " + expected +
                            ", got " + Dump(got));
}

StatusOr<json> ParseFile(const std::string& path) {
  HG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxFileBytes));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError(path + ": malformed JSON; expected a JSON object");
  }
  return j;
}

bool IsFalseOrAbsent(const json& obj, const char* key) {
  return !obj.contains(key) || obj[key].is_null() || obj[key] == false;
}

bool IsEmptyOrAbsent(const json& obj, const char* key) {
  return !obj.contains(key) || obj[key].is_null() || obj[key] == "";
}

Status ReadNormalizer(const std::string& path, const json& n, TokenizerSpec* spec) {
  if (n.is_null()) return OkStatus();
  if (n.is_object() && n.value("type", "") == "NFC") {
    spec->nfc = true;
    return OkStatus();
  }
  return Unsupported(path + ": normalizer", "null or {\"type\": \"NFC\"}", n);
}

Status ReadPreTokenizer(const std::string& path, const json& p, TokenizerSpec* spec) {
  const std::string expected =
      "Sequence[Split(Qwen2 or Qwen3.5 regex, Isolated), ByteLevel(add_prefix_space=false, "
      "use_regex=false)]";
  if (!p.is_object() || p.value("type", "") != "Sequence" || !p.contains("pretokenizers") ||
      !p["pretokenizers"].is_array() || p["pretokenizers"].size() != 2) {
    return Unsupported(path + ": pre_tokenizer", expected, p);
  }
  const json& split = p["pretokenizers"][0];
  const json& byte_level = p["pretokenizers"][1];
  if (!split.is_object() || split.value("type", "") != "Split" ||
      split.value("behavior", "") != "Isolated" || !IsFalseOrAbsent(split, "invert") ||
      !split.contains("pattern") || !split["pattern"].is_object() ||
      !split["pattern"].contains("Regex") || !split["pattern"]["Regex"].is_string()) {
    return Unsupported(path + ": pre_tokenizer.pretokenizers[0]", expected, split);
  }
  std::optional<SplitPattern> pattern =
      SplitPatternFromRegex(split["pattern"]["Regex"].get<std::string>());
  if (!pattern) {
    return Unsupported(path + ": pre_tokenizer Split regex", "the Qwen2/3 or Qwen3.5 pattern",
                       split["pattern"]["Regex"]);
  }
  if (!byte_level.is_object() || byte_level.value("type", "") != "ByteLevel" ||
      !IsFalseOrAbsent(byte_level, "add_prefix_space") || byte_level.value("use_regex", true)) {
    return Unsupported(path + ": pre_tokenizer.pretokenizers[1]", expected, byte_level);
  }
  spec->split = *pattern;
  return OkStatus();
}

Status ReadVocab(const std::string& path, const internal::TokenizerJson& file,
                 TokenizerSpec* spec) {
  int64_t max_id = -1;
  for (const auto& entry : file.vocab) max_id = std::max(max_id, entry.second);
  spec->vocab.resize(static_cast<size_t>(std::clamp<int64_t>(max_id + 1, 0, kMaxTokenId)));
  for (const auto& [token, id] : file.vocab) {
    if (id < 0 || id >= kMaxTokenId) {
      return InvalidArgumentError(path + ": model.vocab[\"" + token +
                                  "\"]: expected an id in [0, " + std::to_string(kMaxTokenId) +
                                  "), got " + std::to_string(id));
    }
    if (static_cast<size_t>(id) >= spec->vocab.size())
      spec->vocab.resize(static_cast<size_t>(id) + 1);
    std::string& slot = spec->vocab[static_cast<size_t>(id)];
    if (!slot.empty()) {
      return InvalidArgumentError(path + ": model.vocab: id " + std::to_string(id) +
                                  " used twice; expected unique ids, got \"" + slot + "\" and \"" +
                                  token + "\"");
    }
    if (token.empty()) return InvalidArgumentError(path + ": model.vocab: empty token string");
    slot = token;
  }
  return OkStatus();
}

Status ReadMerges(const std::string& path, const internal::TokenizerJson& file,
                  const std::unordered_map<std::string, int32_t>& ids, TokenizerSpec* spec) {
  spec->merges.reserve(file.merges.size());
  for (size_t rank = 0; rank < file.merges.size(); ++rank) {
    const auto& [left, right] = file.merges[rank];
    auto l = ids.find(left), r = ids.find(right), mg = ids.find(left + right);
    if (left.empty() || right.empty() || l == ids.end() || r == ids.end() || mg == ids.end()) {
      return InvalidArgumentError(path + ": model.merges[" + std::to_string(rank) +
                                  "]: token not in model.vocab; expected \"" + left + "\", \"" +
                                  right + "\" and \"" + left + right + "\" in the vocab");
    }
    spec->merges.push_back({l->second, r->second, mg->second});
  }
  return OkStatus();
}

StatusOr<AddedTokenSpec> ReadAddedToken(const std::string& where, const json& t, int64_t id) {
  if (!t.is_object() || !t.contains("content") || !t["content"].is_string() ||
      t["content"].get<std::string>().empty() || id < 0 || id >= kMaxTokenId) {
    return InvalidArgumentError(
        where + ": expected {\"id\", \"content\": non-empty string, ...}, got " + Dump(t));
  }
  for (const char* opt : {"single_word", "lstrip", "rstrip", "normalized"}) {
    if (!IsFalseOrAbsent(t, opt)) return Unsupported(where + "." + opt, "false", t[opt]);
  }
  AddedTokenSpec a;
  a.id = static_cast<int32_t>(id);
  a.content = t["content"].get<std::string>();
  a.special = t.value("special", false);
  return a;
}

using TokenIds = std::unordered_map<std::string, int32_t>;

// Fills spec->vocab, spec->merges, spec->ignore_merges and *ids (model token -> id).
Status ReadModel(const std::string& path, const internal::TokenizerJson& file, TokenizerSpec* spec,
                 TokenIds* ids) {
  const json& model = file.dom["model"];
  if (!model.is_object() || model.value("type", "") != "BPE") {
    return Unsupported(path + ": model", "{\"type\": \"BPE\", ...}",
                       model.is_object() ? model.value("type", json()) : model);
  }
  if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"] != 0) {
    return Unsupported(path + ": model.dropout", "null", model["dropout"]);
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (!IsEmptyOrAbsent(model, key))
      return Unsupported(path + ": model." + key, "null or \"\"", model[key]);
  }
  spec->ignore_merges = model.value("ignore_merges", false);
  if (!file.has_vocab || !file.has_merges) {
    return InvalidArgumentError(path +
                                ": model: expected a \"vocab\" object and a \"merges\" array");
  }
  HG_RETURN_IF_ERROR(ReadVocab(path, file, spec));
  ids->reserve(file.vocab.size());
  for (size_t id = 0; id < spec->vocab.size(); ++id) {
    if (!spec->vocab[id].empty()) ids->emplace(spec->vocab[id], static_cast<int32_t>(id));
  }
  return ReadMerges(path, file, *ids, spec);
}

// The added vocabulary as HF tokenizers 0.23.2 builds it (observed, sparse vocabularies included):
// tokens are added in order, each getting the id of its content if known (added first, then model
// vocab), else (model vocab entries + added tokens not in the model vocab so far). HF only warns
// when a file declares another id; we refuse the file, since its ids would then disagree with the
// model's embedding rows.
class AddedVocab {
 public:
  AddedVocab(const TokenizerSpec& spec, const TokenIds& model_ids)
      : spec_(spec), model_ids_(model_ids) {}

  Status Add(const std::string& where, const AddedTokenSpec& token) {
    int32_t assigned;
    auto known = content_to_id_.find(token.content);
    auto in_model = model_ids_.find(token.content);
    const auto model_count = static_cast<int64_t>(model_ids_.size());
    if (known != content_to_id_.end()) {
      assigned = known->second;
    } else if (in_model != model_ids_.end()) {
      assigned = in_model->second;
    } else {
      assigned = static_cast<int32_t>(model_count + num_new_);
    }
    if (assigned != token.id) {
      return InvalidArgumentError(where + ": HF tokenizers gives \"" + token.content + "\" id " +
                                  std::to_string(assigned) + "; expected that id, got " +
                                  std::to_string(token.id));
    }
    if (known != content_to_id_.end()) return OkStatus();  // listed again (config repeats the file)
    const size_t id = static_cast<size_t>(token.id);
    if (in_model == model_ids_.end() && id < spec_.vocab.size() && !spec_.vocab[id].empty()) {
      return InvalidArgumentError(where + ": id " + std::to_string(id) +
                                  " is model.vocab token \"" + spec_.vocab[id] +
                                  "\"; expected an unused id for \"" + token.content + "\"");
    }
    content_to_id_.emplace(token.content, token.id);
    added_.emplace(token.id, token);
    num_new_ += in_model == model_ids_.end();
    return OkStatus();
  }

  std::vector<AddedTokenSpec> Take() {
    std::vector<AddedTokenSpec> out;
    for (auto& [id, token] : added_) out.push_back(std::move(token));
    return out;
  }

 private:
  const TokenizerSpec& spec_;
  const TokenIds& model_ids_;
  TokenIds content_to_id_;
  std::map<int32_t, AddedTokenSpec> added_;
  int64_t num_new_ = 0;  // added tokens whose content is not in the model vocab
};

// transformers adds the tokenizer_config.json added_tokens_decoder entries in id order.
Status MergeConfigTokens(const std::string& path, const json& config, AddedVocab* added) {
  if (!config.contains("added_tokens_decoder")) return OkStatus();
  const json& dec = config["added_tokens_decoder"];
  if (!dec.is_object()) {
    return InvalidArgumentError(path + ": added_tokens_decoder: expected an object, got " +
                                Dump(dec));
  }
  std::map<int64_t, const json*> by_id;
  for (const auto& [key, value] : dec.items()) {
    char* end = nullptr;
    const long long id = std::strtoll(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0') {
      return InvalidArgumentError(path + ": added_tokens_decoder: expected integer keys, got \"" +
                                  key + "\"");
    }
    by_id[id] = &value;
  }
  for (const auto& [id, value] : by_id) {
    const std::string where = path + ": added_tokens_decoder[\"" + std::to_string(id) + "\"]";
    HG_ASSIGN_OR_RETURN(AddedTokenSpec token, ReadAddedToken(where, *value, id));
    HG_RETURN_IF_ERROR(added->Add(where, token));
  }
  return OkStatus();
}

}  // namespace

StatusOr<TokenizerSpec> ReadTokenizerSpec(const std::string& tokenizer_json_path,
                                          const std::string& tokenizer_config_json_path) {
  const std::string& path = tokenizer_json_path;
  HG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxFileBytes));
  HG_ASSIGN_OR_RETURN(internal::TokenizerJson file, internal::ParseTokenizerJson(path, text));
  text = std::string();  // free the 10+ MB before building tables
  const json& root = file.dom;
  TokenizerSpec spec;
  try {
    if (!root.contains("model"))
      return InvalidArgumentError(path + ": expected a \"model\" object");
    TokenIds model_ids;
    HG_RETURN_IF_ERROR(ReadModel(path, file, &spec, &model_ids));
    HG_RETURN_IF_ERROR(ReadNormalizer(path, root.value("normalizer", json()), &spec));
    HG_RETURN_IF_ERROR(ReadPreTokenizer(path, root.value("pre_tokenizer", json()), &spec));
    const json decoder = root.value("decoder", json());
    if (!decoder.is_object() || decoder.value("type", "") != "ByteLevel") {
      return Unsupported(path + ": decoder", "{\"type\": \"ByteLevel\"}", decoder);
    }
    AddedVocab added(spec, model_ids);
    const json tokens = root.value("added_tokens", json::array());
    if (!tokens.is_array()) return InvalidArgumentError(path + ": added_tokens: expected an array");
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string where = path + ": added_tokens[" + std::to_string(i) + "]";
      const int64_t id =
          tokens[i].is_object() && tokens[i].contains("id") && tokens[i]["id"].is_number_integer()
              ? tokens[i]["id"].get<int64_t>()
              : -1;
      HG_ASSIGN_OR_RETURN(AddedTokenSpec token, ReadAddedToken(where, tokens[i], id));
      HG_RETURN_IF_ERROR(added.Add(where, token));
    }
    if (!tokenizer_config_json_path.empty()) {
      HG_ASSIGN_OR_RETURN(json config, ParseFile(tokenizer_config_json_path));
      HG_RETURN_IF_ERROR(MergeConfigTokens(tokenizer_config_json_path, config, &added));
    }
    spec.added = added.Take();
  } catch (const json::exception& e) {
    return InvalidArgumentError(path + ": unexpected JSON structure: " + e.what());
  }
  return spec;
}

}  // namespace haloguard::tokenizer
