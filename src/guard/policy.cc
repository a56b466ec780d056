// Policy file parsing (strict: unknown keys, categories and actions are errors) and the
// threshold/action decision. The file format is documented in docs/POLICY.md.
#include "guard/policy.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "guard/strict_json.h"

namespace haloguard::guard {
namespace {

using Json = nlohmann::json;
using internal::JsonError;
using internal::JsonPath;
using internal::JsonSource;

// Policy files are a few hundred bytes; anything near this is not a policy.
constexpr size_t kMaxPolicyBytes = 1u << 20;

std::string ActionList() {
  std::string s;
  for (std::string_view a : kPolicyActions) {
    if (!s.empty()) s += '|';
    s += a;
  }
  return s;
}

// Reads an action name at `path` into *out.
Status ReadAction(const JsonSource& src, const JsonPath& path, const Json& v, std::string* out) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (std::find(kPolicyActions.begin(), kPolicyActions.end(), s) != kPolicyActions.end()) {
      *out = s;
      return OkStatus();
    }
  }
  return JsonError(src, path, "expected one of " + ActionList() + ", got " +
                                  internal::DescribeJson(v));
}

// Reads a threshold in [0, 1] at `path` into *out.
Status ReadThreshold(const JsonSource& src, const JsonPath& path, const Json& v, double* out) {
  if (v.is_number() && Policy::IsValidThreshold(v.get<double>())) {
    *out = v.get<double>();
    return OkStatus();
  }
  return JsonError(src, path, "expected a number in [0, 1], got " + internal::DescribeJson(v));
}

}  // namespace

namespace internal {

// Reads the "categories" object into a Policy (a friend, so that policy.h needs no JSON type).
struct PolicyReader {
  static Status ReadCategories(const JsonSource& src, const Json& cats, Policy* p);
};

Status PolicyReader::ReadCategories(const JsonSource& src, const Json& cats, Policy* p) {
  const JsonPath cats_path = JsonPath().Key("categories");
  if (!cats.is_object()) {
    return JsonError(src, cats_path, "expected an object, got " + internal::DescribeJson(cats));
  }
  for (const auto& [label, rule] : cats.items()) {
    const JsonPath path = cats_path.Key(label);
    const std::optional<size_t> index = p->Index(label);
    if (!index) {
      return JsonError(src, path, "unknown category \"" + label + "\"; expected one of the " +
                                      std::to_string(p->names_.size()) +
                                      " labels of the guard prompt (e.g. " + p->names_.front() +
                                      "; the card's list is in docs/POLICY.md)");
    }
    HG_RETURN_IF_ERROR(internal::CheckObjectKeys(src, path, rule, {"threshold", "action"}));
    Policy::CategoryRule& cr = p->categories_[*index];
    if (rule.contains("threshold")) {
      HG_RETURN_IF_ERROR(
          ReadThreshold(src, path.Key("threshold"), rule["threshold"], &cr.threshold));
      cr.has_threshold = true;
    }
    if (rule.contains("action")) {
      HG_RETURN_IF_ERROR(ReadAction(src, path.Key("action"), rule["action"], &cr.action));
    }
  }
  return OkStatus();
}

}  // namespace internal

bool Policy::IsValidThreshold(double t) { return std::isfinite(t) && t >= 0.0 && t <= 1.0; }

Policy Policy::Default(double threshold, const Categories& categories) {
  HG_CHECK(IsValidThreshold(threshold)) << "Policy::Default: threshold " << threshold
                                        << " outside [0, 1]";
  Policy p;
  p.threshold_ = threshold;
  if (categories.empty()) {
    p.names_.assign(kCategories.begin(), kCategories.end());
  } else {
    p.names_ = categories;
  }
  p.categories_.resize(p.names_.size());
  return p;
}

std::optional<size_t> Policy::Index(std::string_view label) const {
  auto it = std::find(names_.begin(), names_.end(), label);
  if (it == names_.end()) return std::nullopt;
  return static_cast<size_t>(it - names_.begin());
}

StatusOr<Policy> Policy::Load(const std::string& path, double default_threshold,
                              const Categories& categories) {
  StatusOr<std::string> text = ReadFileToString(path, kMaxPolicyBytes);
  if (!text.ok()) return text.status().WithPrefix("policy file " + path);
  return Parse(*text, default_threshold, path, categories);
}

StatusOr<Policy> Policy::Parse(std::string_view json_text, double default_threshold,
                               std::string_view source_name, const Categories& categories) {
  const JsonSource src{std::string(source_name), json_text};
  if (!IsValidThreshold(default_threshold)) {
    return InvalidArgumentError(src.name + ": default threshold: expected a number in [0, 1], got " +
                                std::to_string(default_threshold));
  }
  Json root;
  HG_RETURN_IF_ERROR(internal::ParseStrictJson(src, &root));
  const JsonPath top;
  HG_RETURN_IF_ERROR(internal::CheckObjectKeys(
      src, top, root,
      {"version", "description", "threshold", "safe_action", "unsafe_action", "categories"}));
  Policy p = Default(default_threshold, categories);
  if (root.contains("version") && root["version"] != 1) {
    return JsonError(src, top.Key("version"),
                     "expected 1, got " + internal::DescribeJson(root["version"]));
  }
  if (root.contains("description") && !root["description"].is_string()) {
    return JsonError(src, top.Key("description"),
                     "expected a string, got " + internal::DescribeJson(root["description"]));
  }
  if (root.contains("threshold")) {
    HG_RETURN_IF_ERROR(ReadThreshold(src, top.Key("threshold"), root["threshold"], &p.threshold_));
  }
  if (root.contains("safe_action")) {
    HG_RETURN_IF_ERROR(
        ReadAction(src, top.Key("safe_action"), root["safe_action"], &p.safe_action_));
  }
  if (root.contains("unsafe_action")) {
    HG_RETURN_IF_ERROR(
        ReadAction(src, top.Key("unsafe_action"), root["unsafe_action"], &p.unsafe_action_));
  }
  if (root.contains("categories")) {
    HG_RETURN_IF_ERROR(internal::PolicyReader::ReadCategories(src, root["categories"], &p));
  }
  return p;
}

PolicyDecision Policy::Decide(double p_unsafe, std::string_view top_category) const {
  const std::optional<size_t> index = Index(top_category);
  const CategoryRule* rule = index ? &categories_[*index] : nullptr;
  PolicyDecision d;
  d.threshold = (rule && rule->has_threshold) ? rule->threshold : threshold_;
  // `!(p < t)` rather than `p >= t` so that NaN lands on the unsafe side (fail closed).
  d.unsafe = !(p_unsafe < d.threshold);
  if (!d.unsafe) {
    d.action = safe_action_;
  } else {
    d.action = (rule && !rule->action.empty()) ? rule->action : unsafe_action_;
  }
  return d;
}

}  // namespace haloguard::guard
