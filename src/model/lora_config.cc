// adapter_config.json parsing (mirrors PEFT's LoraConfig fields) and adapter key splitting.
// GCC 12 reports a false -Wmaybe-uninitialized inside <regex>'s std::function members at -O1
// (the sanitizer build); it is about libstdc++'s code, not ours, so it is off for this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "model/lora_config.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/mapped_file.h"

namespace haloguard::model {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kWhere = "adapter_config.json: ";
constexpr std::string_view kKeyPrefix = "base_model.model.";

Status Bad(const std::string& what) { return InvalidArgumentError(std::string(kWhere) + what); }

constexpr size_t kMaxRegexChars = 512;
constexpr int kMaxRegexDepth = 16;

int ParenDepth(const std::string& re) {
  int depth = 0, best = 0;
  for (char ch : re) {
    depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
    best = std::max(best, depth);
  }
  return best;
}

Status ParseTargets(const Json& t, LoraConfig* c) {
  if (t.is_string()) {
    c->target_regex = t.get<std::string>();
    if (c->target_regex.empty()) return Bad("target_modules: expected a non-empty regex, got \"\"");
    // std::regex compiles and matches recursively: bound the pattern (PEFT's are ~20-200 chars)
    // so an adversarial file cannot exhaust the stack.
    if (c->target_regex.size() > kMaxRegexChars || ParenDepth(c->target_regex) > kMaxRegexDepth)
      return Bad("target_modules: expected a regex of at most " + std::to_string(kMaxRegexChars) +
                 " characters and " + std::to_string(kMaxRegexDepth) + " nested groups, got " +
                 std::to_string(c->target_regex.size()) + " characters, depth " +
                 std::to_string(ParenDepth(c->target_regex)));
    try {
      std::regex check(c->target_regex);
    } catch (const std::regex_error&) {
      return Bad("target_modules: expected a valid regex, got \"" + c->target_regex + "\"");
    }
    return OkStatus();
  }
  if (!t.is_array() || t.empty())
    return Bad("target_modules: expected a non-empty list of module names or a regex string, got " +
               t.dump());
  for (const Json& m : t) {
    if (!m.is_string() || m.get<std::string>().empty())
      return Bad("target_modules: expected module names (strings), got " + m.dump());
    c->target_modules.push_back(m.get<std::string>());
  }
  return OkStatus();
}

bool IsSetOption(const Json& top, const char* key) {
  auto it = top.find(key);
  if (it == top.end() || it->is_null()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_array() || it->is_object()) return !it->empty();
  return true;
}

Status CheckUnsupported(const Json& top) {
  if (IsSetOption(top, "fan_in_fan_out"))
    return Bad("fan_in_fan_out: expected false (Conv1D-style weights are not supported), got true");
  if (auto it = top.find("bias"); it != top.end() && !it->is_null() && *it != "none")
    return Bad("bias: expected \"none\" (adapter biases are not supported), got " + it->dump());
  for (const char* key : {"modules_to_save", "use_dora", "rank_pattern", "alpha_pattern",
                          "layers_to_transform"}) {
    if (IsSetOption(top, key))
      return Bad(std::string(key) + ": not supported; expected it unset, null or empty, got " +
                 top.find(key)->dump());
  }
  return OkStatus();
}

}  // namespace

double LoraConfig::scale() const {
  const double rr = static_cast<double>(r);
  return use_rslora ? lora_alpha / std::sqrt(rr) : lora_alpha / rr;
}

bool LoraConfig::Targets(std::string_view module_name) const {
  const std::string name(module_name);
  if (!target_regex.empty()) return std::regex_match(name, std::regex(target_regex));
  for (const std::string& t : target_modules) {
    if (name == t) return true;
    if (name.size() > t.size() && name.compare(name.size() - t.size(), t.size(), t) == 0 &&
        name[name.size() - t.size() - 1] == '.')
      return true;
  }
  return false;
}

StatusOr<LoraConfig> ParseLoraConfig(std::string_view json_text) {
  Json top = Json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (top.is_discarded()) return Bad("not valid JSON");
  if (!top.is_object()) return Bad("expected a JSON object");
  if (auto it = top.find("peft_type"); it != top.end() && *it != "LORA")
    return Bad("peft_type: expected \"LORA\", got " + it->dump());
  LoraConfig c;
  auto r = top.find("r");
  if (r == top.end() || !r->is_number_integer() || r->get<int64_t>() < 1)
    return Bad("r: expected an integer >= 1, got " + (r == top.end() ? "nothing" : r->dump()));
  c.r = r->get<int64_t>();
  if (auto a = top.find("lora_alpha"); a != top.end()) {
    if (!a->is_number()) return Bad("lora_alpha: expected a number, got " + a->dump());
    c.lora_alpha = a->get<double>();
  }
  if (auto s = top.find("use_rslora"); s != top.end() && !s->is_null()) {
    if (!s->is_boolean()) return Bad("use_rslora: expected true or false, got " + s->dump());
    c.use_rslora = s->get<bool>();
  }
  auto t = top.find("target_modules");
  if (t == top.end() || t->is_null()) return Bad("target_modules: missing");
  HG_RETURN_IF_ERROR(ParseTargets(*t, &c));
  HG_RETURN_IF_ERROR(CheckUnsupported(top));
  if (auto b = top.find("base_model_name_or_path"); b != top.end() && b->is_string())
    c.base_model_name_or_path = b->get<std::string>();
  return c;
}

StatusOr<LoraConfig> LoadLoraConfig(const std::string& adapter_dir) {
  HG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(adapter_dir + "/adapter_config.json"));
  return ParseLoraConfig(text);
}

StatusOr<LoraKey> ParseLoraKey(std::string_view key) {
  const std::string k(key);
  auto bad = [&] {
    return InvalidArgumentError("adapter_model.safetensors: tensor '" + k +
                                "': expected 'base_model.model.<module>.lora_A.weight' or "
                                "'...lora_B.weight'");
  };
  if (key.substr(0, kKeyPrefix.size()) != kKeyPrefix) return bad();
  std::string_view rest = key.substr(kKeyPrefix.size());
  for (bool is_a : {true, false}) {
    const std::string_view suffix = is_a ? ".lora_A.weight" : ".lora_B.weight";
    if (rest.size() > suffix.size() && rest.substr(rest.size() - suffix.size()) == suffix)
      return LoraKey{std::string(rest.substr(0, rest.size() - suffix.size())), is_a};
  }
  return bad();
}

}  // namespace haloguard::model
