// Attack-rule file parsing: strict structure checks with located errors (format in
// docs/ATTACK_OVERLAY.md). nlohmann::json stays inside this file and strict_json.cc.
#include "guard/attack_rules.h"

#include <nlohmann/json.hpp>

namespace haloguard::guard::internal {
namespace {

using Json = nlohmann::json;

bool ValidRuleId(const std::string& id) {
  if (id.empty() || id.size() > kMaxRuleIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '-';
    if (!ok) return false;
  }
  return true;
}

// Reads a required (or, with `optional`, absent-is-empty) array of strings.
Status ReadStrings(const JsonSource& src, const JsonPath& obj_path, const Json& obj,
                   const char* key, bool optional, std::vector<std::string>* out) {
  const JsonPath path = obj_path.Key(key);
  if (!obj.contains(key)) {
    if (optional) return OkStatus();
    return JsonError(src, obj_path, std::string("missing required key \"") + key + "\"");
  }
  const Json& arr = obj[key];
  if (!arr.is_array() || (!optional && arr.empty())) {
    return JsonError(src, path, std::string(optional ? "expected an array" : "expected a non-empty "
                                                                             "array") +
                                    " of strings, got " + DescribeJson(arr));
  }
  for (size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_string()) {
      return JsonError(src, path.Index(i), "expected a string, got " + DescribeJson(arr[i]));
    }
    out->push_back(arr[i].get<std::string>());
  }
  return OkStatus();
}

Status ReadString(const JsonSource& src, const JsonPath& obj_path, const Json& obj, const char* key,
                  std::string* out) {
  if (!obj.contains(key)) {
    return JsonError(src, obj_path, std::string("missing required key \"") + key + "\"");
  }
  const Json& v = obj[key];
  if (!v.is_string() || v.get<std::string>().empty()) {
    return JsonError(src, obj_path.Key(key), "expected a non-empty string, got " + DescribeJson(v));
  }
  *out = v.get<std::string>();
  return OkStatus();
}

Status ReadExamples(const JsonSource& src, const JsonPath& rule_path, const Json& rule,
                    RuleSpec* spec) {
  if (!rule.contains("examples")) return OkStatus();
  const JsonPath path = rule_path.Key("examples");
  const Json& ex = rule["examples"];
  HG_RETURN_IF_ERROR(CheckObjectKeys(src, path, ex, {"match", "no_match"}));
  HG_RETURN_IF_ERROR(ReadStrings(src, path, ex, "match", true, &spec->match_examples));
  return ReadStrings(src, path, ex, "no_match", true, &spec->no_match_examples);
}

Status ReadRule(const JsonSource& src, const JsonPath& path, const Json& rule, RuleSpec* spec) {
  HG_RETURN_IF_ERROR(CheckObjectKeys(
      src, path, rule,
      {"id", "overlay", "description", "languages", "patterns", "context", "examples"}));
  spec->path = path;
  HG_RETURN_IF_ERROR(ReadString(src, path, rule, "id", &spec->id));
  if (!ValidRuleId(spec->id)) {
    return JsonError(src, path.Key("id"),
                     "expected 1-64 characters from [a-z0-9._-], got \"" + spec->id + "\"");
  }
  std::string overlay;
  HG_RETURN_IF_ERROR(ReadString(src, path, rule, "overlay", &overlay));
  if (overlay == "jailbreak") {
    spec->overlay = AttackOverlay::kJailbreak;
  } else if (overlay == "prompt_injection") {
    spec->overlay = AttackOverlay::kPromptInjection;
  } else {
    return JsonError(src, path.Key("overlay"),
                     "expected \"jailbreak\" or \"prompt_injection\", got \"" + overlay + "\"");
  }
  HG_RETURN_IF_ERROR(ReadString(src, path, rule, "description", &spec->description));
  std::vector<std::string> languages;  // informative only; checked for type
  HG_RETURN_IF_ERROR(ReadStrings(src, path, rule, "languages", true, &languages));
  HG_RETURN_IF_ERROR(ReadStrings(src, path, rule, "patterns", false, &spec->patterns));
  HG_RETURN_IF_ERROR(ReadStrings(src, path, rule, "context", true, &spec->context));
  return ReadExamples(src, path, rule, spec);
}

}  // namespace

Status ParseRuleFile(const JsonSource& src, RuleFile* out) {
  out->src = src;
  if (src.text.size() > kMaxRuleFileBytes) {
    return InvalidArgumentError(src.name + ": " + std::to_string(src.text.size()) +
                                " bytes; expected a rule file of at most " +
                                std::to_string(kMaxRuleFileBytes) + " bytes");
  }
  Json root;
  HG_RETURN_IF_ERROR(ParseStrictJson(src, &root));
  const JsonPath top;
  HG_RETURN_IF_ERROR(CheckObjectKeys(src, top, root, {"version", "description", "rules", "disable"}));
  if (!root.contains("version") || root["version"] != 1) {
    return JsonError(src, root.contains("version") ? top.Key("version") : top,
                     "expected \"version\": 1, got " +
                         (root.contains("version") ? DescribeJson(root["version"]) : "none"));
  }
  if (!root.contains("rules") || !root["rules"].is_array()) {
    return JsonError(src, top, "expected key \"rules\" with an array of rules");
  }
  const Json& rules = root["rules"];
  for (size_t i = 0; i < rules.size(); ++i) {
    RuleSpec spec;
    HG_RETURN_IF_ERROR(ReadRule(src, top.Key("rules").Index(i), rules[i], &spec));
    out->rules.push_back(std::move(spec));
  }
  return ReadStrings(src, top, root, "disable", true, &out->disable);
}

}  // namespace haloguard::guard::internal
