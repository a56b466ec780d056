// Blocked-prompt bodies (Azure content-filter error, refusal completions) and verdict headers.
#include "server/proxy/block_response.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "server/routes.h"

namespace haloguard::server::proxy {
namespace {

using OJson = nlohmann::ordered_json;

std::string Fixed4(double p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", p);
  return buf;
}

std::string Dump(const OJson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The Azure content-filter key a HaloGuard category belongs to ("" = none of the four).
std::string AzureKey(const std::string& category) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"hate_speech", "hate"},
      {"harassment_and_bullying", "hate"},
      {"bias_and_stereotyping", "hate"},
      {"csam", "sexual"},
      {"non_consensual_sexual_content", "sexual"},
      {"sexual_content_general", "sexual"},
      {"violence", "violence"},
      {"terrorism_and_extremism", "violence"},
      {"weapons_and_firearms", "violence"},
      {"chemical_weapons", "violence"},
      {"biological_weapons", "violence"},
      {"radiological_nuclear", "violence"},
      {"animal_cruelty", "violence"},
      {"human_trafficking", "violence"},
      {"self_harm_and_suicide", "self_harm"},
      {"eating_disorders", "self_harm"},
  };
  for (const auto& [ours, azure] : kMap)
    if (category == ours) return azure;
  return "";
}

const char* Severity(double p) { return p >= 0.9 ? "high" : p >= 0.75 ? "medium" : "low"; }

OJson FilterResult(const guard::GuardResult& r) {
  const std::string key = AzureKey(r.category);
  OJson out = OJson::object();
  for (const char* k : {"hate", "self_harm", "sexual", "violence"}) {
    const bool hit = key == k;
    out[k] = {{"filtered", hit}, {"severity", hit ? Severity(r.p_unsafe) : "safe"}};
  }
  const bool jailbreak = !r.attack_overlay.empty() && r.attack_overlay != "none";
  out["jailbreak"] = {{"filtered", false}, {"detected", jailbreak}};
  out["haloguard"] = {{"filtered", true},
                      {"category", r.category},
                      {"p_unsafe", std::stod(Fixed4(r.p_unsafe))},
                      {"action", r.action}};
  return out;
}

HttpResponse Json200(std::string body, bool sse) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  if (sse) {
    r.content_type = "text/event-stream; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "no-cache");
  }
  return r;
}

std::string Sse(const OJson& j) { return "data: " + Dump(j) + "\n\n"; }

HttpResponse ChatRefusal(const std::string& model, const std::string& message, bool stream) {
  const std::string id = NewId("chatcmpl-");
  const int64_t now = NowUnixSeconds();
  if (!stream) {
    OJson msg = {{"role", "assistant"}, {"content", message}, {"refusal", nullptr}};
    OJson choice = {
        {"index", 0}, {"message", msg}, {"logprobs", nullptr}, {"finish_reason", "content_filter"}};
    return Json200(
        Dump({{"id", id},
              {"object", "chat.completion"},
              {"created", now},
              {"model", model},
              {"choices", OJson::array({choice})},
              {"usage", {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}}}}),
        false);
  }
  OJson delta = {{"role", "assistant"}, {"content", message}};
  OJson choice = {
      {"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", "content_filter"}};
  return Json200(Sse({{"id", id},
                      {"object", "chat.completion.chunk"},
                      {"created", now},
                      {"model", model},
                      {"choices", OJson::array({choice})}}) +
                     "data: [DONE]\n\n",
                 true);
}

HttpResponse CompletionRefusal(const std::string& model, const std::string& message, bool stream) {
  OJson choice = {
      {"index", 0}, {"text", message}, {"logprobs", nullptr}, {"finish_reason", "content_filter"}};
  OJson body = {{"id", NewId("cmpl-")},
                {"object", "text_completion"},
                {"created", NowUnixSeconds()},
                {"model", model},
                {"choices", OJson::array({choice})}};
  if (!stream) return Json200(Dump(body), false);
  return Json200(Sse(body) + "data: [DONE]\n\n", true);
}

// The Responses API's response object; `done` = the final "incomplete" one (with the message),
// otherwise the opening "in_progress" one (no output yet). No `output_text`: that is a property
// the SDKs derive from `output` (and only when the object lacks it), not part of the API.
OJson ResponseObject(const std::string& id, int64_t created, const std::string& model,
                     const OJson& item, bool done) {
  return {{"id", id},
          {"object", "response"},
          {"created_at", created},
          {"status", done ? "incomplete" : "in_progress"},
          {"incomplete_details", done ? OJson{{"reason", "content_filter"}} : OJson(nullptr)},
          {"model", model},
          {"output", done ? OJson::array({item}) : OJson::array()}};
}

// The stream a Responses client (e.g. the OpenAI SDK's responses.stream()) expects, in the
// API's order: created, in_progress, output_item.added, content_part.added, output_text.delta
// (the whole message), output_text.done, content_part.done, output_item.done, and the terminal
// response.incomplete (status "incomplete", reason content_filter).
std::string ResponsesRefusalEvents(const OJson& opening, const OJson& final_resp, const OJson& item,
                                   const std::string& message) {
  const std::string item_id = item["id"];
  const OJson part = item["content"][0];
  OJson open_item = item;
  open_item["status"] = "in_progress";
  open_item["content"] = OJson::array();
  OJson empty_part = part;
  empty_part["text"] = "";
  const OJson at = {{"item_id", item_id}, {"output_index", 0}, {"content_index", 0}};
  const auto with = [](OJson base, const OJson& more) {
    for (const auto& [k, v] : more.items()) base[k] = v;
    return base;
  };
  const std::vector<std::pair<std::string, OJson>> events = {
      {"response.created", {{"response", opening}}},
      {"response.in_progress", {{"response", opening}}},
      {"response.output_item.added", {{"output_index", 0}, {"item", open_item}}},
      {"response.content_part.added", with(at, {{"part", empty_part}})},
      {"response.output_text.delta", with(at, {{"delta", message}, {"logprobs", OJson::array()}})},
      {"response.output_text.done", with(at, {{"text", message}, {"logprobs", OJson::array()}})},
      {"response.content_part.done", with(at, {{"part", part}})},
      {"response.output_item.done", {{"output_index", 0}, {"item", item}}},
      {"response.incomplete", {{"response", final_resp}}},
  };
  std::string out;
  int seq = 0;
  for (const auto& [type, fields] : events) {
    OJson e = {{"type", type}, {"sequence_number", seq++}};
    for (const auto& [k, v] : fields.items()) e[k] = v;
    out += "event: " + type + "\n" + Sse(e);
  }
  return out;
}

HttpResponse ResponsesRefusal(const std::string& model, const std::string& message, bool stream) {
  OJson content = {{"type", "output_text"}, {"text", message}, {"annotations", OJson::array()}};
  OJson item = {{"type", "message"},
                {"id", NewId("msg_")},
                {"status", "completed"},
                {"role", "assistant"},
                {"content", OJson::array({content})}};
  const std::string id = NewId("resp_");
  const int64_t now = NowUnixSeconds();
  const OJson resp = ResponseObject(id, now, model, item, true);
  if (!stream) return Json200(Dump(resp), false);
  return Json200(
      ResponsesRefusalEvents(ResponseObject(id, now, model, item, false), resp, item, message),
      true);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> VerdictHeaders(
    const guard::GuardResult* r, const std::string& verdict_override) {
  if (r == nullptr) {
    return {{"x-haloguard-verdict", verdict_override}, {"x-haloguard-category", "none"}};
  }
  const std::string verdict = !verdict_override.empty()     ? verdict_override
                              : r->safety_label == "Unsafe" ? "unsafe"
                                                            : "safe";
  return {{"x-haloguard-verdict", verdict},
          {"x-haloguard-category", r->category.empty() ? "none" : r->category},
          {"x-haloguard-p-unsafe", Fixed4(r->p_unsafe)},
          {"x-haloguard-action", r->action}};
}

HttpResponse ContentFilterError(const guard::GuardResult& blocked) {
  const std::string message = "The prompt was blocked by HaloGuard's content policy (category " +
                              blocked.category + ", p_unsafe " + Fixed4(blocked.p_unsafe) +
                              "). Please modify your prompt and retry.";
  OJson inner = {{"code", "ResponsibleAIPolicyViolation"},
                 {"content_filter_result", FilterResult(blocked)}};
  OJson error = {{"message", message},       {"type", nullptr}, {"param", "prompt"},
                 {"code", "content_filter"}, {"status", 400},   {"innererror", inner}};
  HttpResponse r;
  r.status = 400;
  r.body = Dump({{"error", error}});
  return r;
}

HttpResponse Refusal(ProxyRoute route, const std::string& model, const std::string& message,
                     bool stream) {
  switch (route) {
    case ProxyRoute::kCompletions:
      return CompletionRefusal(model, message, stream);
    case ProxyRoute::kResponses:
      return ResponsesRefusal(model, message, stream);
    case ProxyRoute::kChat:
      break;
  }
  return ChatRefusal(model, message, stream);
}

}  // namespace haloguard::server::proxy
