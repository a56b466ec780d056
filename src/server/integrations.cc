// Gateway integration contracts (LiteLLM Generic Guardrail API, Envoy ext_authz): parsing and rendering with
// nlohmann::json through the same body limits as api.cc; every throw is caught here.
#include "server/integrations.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "server/api_json.h"

namespace haloguard::server {
namespace {

// A probability as the headers and messages print it: 4 decimals.
std::string Fixed4(double p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", p);
  return buf;
}

using Json = nlohmann::json;
using internal::BadRequest;

// `key` absent/null, or of the JSON type `is` accepts; else a 400 naming the expected type.
std::optional<ApiError> OptionalOfType(const Json& j, const char* key, bool (Json::*is)() const,
                                       const char* expected) {
  if (!j.contains(key) || j[key].is_null() || (j[key].*is)()) return std::nullopt;
  return BadRequest(std::string(key) + ": expected " + expected + ", got " + j[key].type_name(),
                    key, "invalid_type");
}

std::optional<ApiError> CheckOptionalFields(const Json& j) {
  struct Field {
    const char* key;
    bool (Json::*is)() const;
    const char* expected;
  };
  static const Field kFields[] = {
      {"images", &Json::is_array, "an array"},
      {"tools", &Json::is_array, "an array"},
      {"request_data", &Json::is_object, "an object"},
      {"litellm_call_id", &Json::is_string, "a string"},
      {"litellm_trace_id", &Json::is_string, "a string"},
      {"additional_provider_specific_params", &Json::is_object, "an object"},
  };
  for (const Field& f : kFields)
    if (auto e = OptionalOfType(j, f.key, f.is, f.expected)) return e;
  return std::nullopt;
}

std::optional<ApiError> ParseTexts(const Json& j, const ApiLimits& limits,
                                   std::vector<std::string>* out) {
  if (!j.contains("texts")) return BadRequest("texts: missing required field", "texts",
                                              "missing_field");
  const Json& texts = j["texts"];
  if (!texts.is_array()) {
    return BadRequest(std::string("texts: expected an array of strings, got ") + texts.type_name(),
                      "texts", "invalid_type");
  }
  if (static_cast<int64_t>(texts.size()) > limits.max_inputs) {
    return BadRequest("texts: expected at most " + std::to_string(limits.max_inputs) +
                          " texts, got " + std::to_string(texts.size()),
                      "texts", "invalid_batch_size");
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string p = "texts[" + std::to_string(i) + "]";
    if (!texts[i].is_string()) {
      return BadRequest(p + ": expected a string, got " + texts[i].type_name(), p, "invalid_type");
    }
    std::string t = texts[i].get<std::string>();
    if (t.find_first_not_of(" \t\r\n\f\v") == std::string::npos) continue;
    if (auto e = internal::CheckText(t, p, limits)) return e;
    out->push_back(std::move(t));
  }
  return std::nullopt;
}

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

const guard::GuardResult* Riskiest(const std::vector<guard::GuardResult>& results,
                                   bool blocked_only) {
  const guard::GuardResult* worst = nullptr;
  for (const guard::GuardResult& r : results) {
    if (blocked_only && r.action != "block") continue;
    if (worst == nullptr || r.p_unsafe > worst->p_unsafe) worst = &r;
  }
  return worst;
}

std::optional<ApiError> ParseLitellmGuardrail(const std::string& body, const ApiLimits& limits,
                                              LitellmGuardrailCall* out) {
  Json j;
  if (auto e = internal::ParseObject(body, limits, &j)) return e;
  if (auto e = CheckOptionalFields(j)) return e;
  std::string input_type = "request";
  if (j.contains("input_type") && !j["input_type"].is_null()) {
    if (!j["input_type"].is_string() ||
        (j["input_type"] != "request" && j["input_type"] != "response")) {
      return BadRequest("input_type: expected \"request\" or \"response\", got " +
                            j["input_type"].dump(),
                        "input_type", "invalid_value");
    }
    input_type = j["input_type"].get<std::string>();
  }
  out->is_response = input_type == "response";
  if (j.contains("litellm_call_id") && j["litellm_call_id"].is_string())
    out->call_id = j["litellm_call_id"].get<std::string>();
  return ParseTexts(j, limits, &out->texts);
}

std::string LitellmGuardrailJson(const std::vector<guard::GuardResult>& results) {
  const guard::GuardResult* worst = Riskiest(results, /*blocked_only=*/true);
  if (worst == nullptr) return LitellmNoneJson();
  const std::string reason = "HaloGuard: unsafe prompt (category " + worst->category +
                             ", p_unsafe " + Fixed4(worst->p_unsafe) + ")";
  return Dump({{"action", "BLOCKED"}, {"blocked_reason", reason}});
}

std::string LitellmNoneJson() { return Dump({{"action", "NONE"}}); }

HttpResponse ExtAuthzAnswer(const std::vector<guard::GuardResult>& results) {
  const guard::GuardResult* worst = Riskiest(results, /*blocked_only=*/false);
  const bool block = Riskiest(results, /*blocked_only=*/true) != nullptr;
  HttpResponse out;
  if (worst == nullptr) return ExtAuthzSkipped("no text");
  const std::string verdict = worst->safety_label == "Unsafe" ? "unsafe" : "safe";
  out.headers = {{"x-haloguard-verdict", verdict},
                 {"x-haloguard-category", worst->category},
                 {"x-haloguard-p-unsafe", Fixed4(worst->p_unsafe)},
                 {"x-haloguard-action", worst->action}};
  if (!block) {
    out.status = 200;
    out.body = Dump({{"allowed", true}, {"verdict", verdict}, {"category", worst->category},
                     {"p_unsafe", std::round(worst->p_unsafe * 1e4) / 1e4}, {"action", worst->action}});
    return out;
  }
  out.status = 403;
  const std::string message = "HaloGuard blocked this prompt: category " + worst->category +
                              ", p_unsafe " + Fixed4(worst->p_unsafe);
  out.body = Dump({{"error", {{"message", message},
                              {"type", "invalid_request_error"},
                              {"param", "prompt"},
                              {"code", "content_filter"}}}});
  return out;
}

HttpResponse ExtAuthzSkipped(const std::string& why) {
  HttpResponse out;
  out.headers = {{"x-haloguard-verdict", "skipped"}, {"x-haloguard-skipped", why}};
  out.body = Dump({{"allowed", true}, {"verdict", "skipped"}, {"reason", why}});
  return out;
}

std::optional<ApiError> ParsePortkeyWebhook(const std::string& body, const ApiLimits& limits,
                                            PortkeyWebhookCall* out) {
  Json j;
  if (auto e = internal::ParseObject(body, limits, &j)) return e;
  if (j.contains("eventType") && !j["eventType"].is_null()) {
    const Json& ev = j["eventType"];
    if (ev != "beforeRequestHook" && ev != "afterRequestHook") {
      return BadRequest("eventType: expected \"beforeRequestHook\" or \"afterRequestHook\", got " +
                            ev.dump(),
                        "eventType", "invalid_value");
    }
    out->after_request = ev == "afterRequestHook";
  }
  if (out->after_request || !j.contains("request") || j["request"].is_null()) return std::nullopt;
  const Json& req = j["request"];
  if (!req.is_object()) {
    return BadRequest(std::string("request: expected an object, got ") + req.type_name(), "request",
                      "invalid_type");
  }
  if (req.contains("json") && req["json"].is_object()) {
    PromptTexts prompt;
    if (auto e = ExtractPromptTexts(req["json"].dump(), limits, &prompt)) {
      e->param = e->param.empty() ? "request.json" : "request.json." + e->param;
      e->message = "request.json: " + e->message;
      return e;
    }
    if (prompt.found) {
      out->texts = std::move(prompt.texts);
      return std::nullopt;
    }
  }
  if (req.contains("text") && req["text"].is_string()) {
    std::string text = req["text"].get<std::string>();
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
    if (auto e = internal::CheckText(text, "request.text", limits)) return e;
    out->texts.push_back(std::move(text));
  }
  return std::nullopt;
}

std::string PortkeyVerdictJson(const std::vector<guard::GuardResult>& results) {
  const guard::GuardResult* worst = Riskiest(results, /*blocked_only=*/false);
  if (worst == nullptr) return PortkeySkippedJson("no text");
  const bool block = Riskiest(results, /*blocked_only=*/true) != nullptr;
  return Dump({{"verdict", !block},
               {"data",
                {{"verdict", worst->safety_label == "Unsafe" ? "unsafe" : "safe"},
                 {"category", worst->category},
                 {"p_unsafe", std::round(worst->p_unsafe * 1e4) / 1e4},
                 {"action", worst->action}}}});
}

std::string PortkeySkippedJson(const std::string& why) {
  return Dump({{"verdict", true}, {"data", {{"skipped", why}}}});
}

}  // namespace haloguard::server
