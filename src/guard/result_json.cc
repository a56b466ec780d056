// GuardResult -> JSON in the model card's field order.
#include <cmath>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "guard/result.h"

namespace haloguard::guard {
namespace {
double Round4(double x) { return std::round(x * 1e4) / 1e4; }
}  // namespace

namespace {

// _debug entries that are counts go out as JSON numbers; the rest are strings.
nlohmann::ordered_json DebugValue(const std::string& key, const std::string& value) {
  static constexpr std::string_view kCounts[] = {"tokens_processed"};
  for (std::string_view c : kCounts) {
    if (key != c) continue;
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    if (!value.empty() && end != nullptr && *end == '\0') return n;
  }
  return value;
}

}  // namespace

std::string GuardResultToJson(const GuardResult& r, bool include_debug) {
  nlohmann::ordered_json j;
  j["status"] = r.status;
  j["safety_label"] = r.safety_label;
  j["category"] = r.category;
  j["attack_overlay"] = r.attack_overlay;
  j["confidence"] = Round4(r.confidence);
  j["tier_probs"] = {{"safe", Round4(r.p_safe)}, {"unsafe", Round4(r.p_unsafe)}};
  j["raw_response"] = r.raw_response;
  j["generated_text"] = r.generated_text;
  j["tier"] = r.tier;
  j["window_count"] = r.window_count;
  j["selected_window_index"] = r.selected_window_index;
  nlohmann::ordered_json risks = nlohmann::ordered_json::array();
  for (double s : r.window_risk_scores) risks.push_back(Round4(s));
  j["window_risk_scores"] = risks;
  nlohmann::ordered_json cats = nlohmann::ordered_json::object();
  for (const CategoryScore& c : r.category_scores) cats[c.label] = Round4(c.score);
  j["category_scores"] = cats;
  j["action"] = r.action;
  j["threshold"] = r.threshold;
  if (!r.window_spans.empty()) {
    nlohmann::ordered_json spans = nlohmann::ordered_json::array();
    for (const auto& [b, e] : r.window_spans) spans.push_back({b, e});
    j["window_spans"] = spans;
  }
  if (include_debug) {
    nlohmann::ordered_json d = nlohmann::ordered_json::object();
    for (const auto& [k, v] : r.debug) d[k] = DebugValue(k, v);
    j["_debug"] = d;
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace haloguard::guard
