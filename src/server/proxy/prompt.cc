// ExtractProxyPrompt: the user turns of chat/completions/responses bodies, via nlohmann::json and
// the server's shared body checks (api_json.h); every throw is caught by ParseObject's callers.
#include "server/proxy/prompt.h"

#include <nlohmann/json.hpp>

#include "server/api_json.h"

namespace haloguard::server::proxy {
namespace {

using Json = nlohmann::json;
using internal::BadRequest;

bool Blank(const std::string& s) { return s.find_first_not_of(" \t\r\n\f\v") == std::string::npos; }

// The text of a message `content`: a string, or its text parts joined by newlines.
std::optional<ApiError> ContentText(const Json& content, const std::string& param,
                                    std::string* out) {
  if (content.is_string()) {
    *out = content.get<std::string>();
    return std::nullopt;
  }
  if (content.is_null()) return std::nullopt;
  if (!content.is_array()) {
    return BadRequest(
        param + ": expected a string or an array of content parts, got " + content.type_name(),
        param, "invalid_type");
  }
  for (const Json& part : content) {
    if (!part.is_object() || !part.contains("type") || !part.contains("text")) continue;
    if (part["type"] != "text" && part["type"] != "input_text") continue;
    if (!part["text"].is_string()) {
      return BadRequest(param + ": expected a string \"text\" in a text part", param,
                        "invalid_type");
    }
    if (!out->empty()) *out += "\n";
    *out += part["text"].get<std::string>();
  }
  return std::nullopt;
}

// User messages of `list` (chat messages, or responses input items) into `texts`.
std::optional<ApiError> UserTurns(const Json& list, const std::string& name,
                                  std::vector<std::string>* texts) {
  if (!list.is_array()) {
    return BadRequest(name + ": expected an array, got " + list.type_name(), name, "invalid_type");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& m = list[i];
    if (!m.is_object() || !m.contains("role") || m["role"] != "user") continue;
    if (m.contains("type") && m["type"] != "message") continue;
    std::string text;
    const std::string param = name + "[" + std::to_string(i) + "].content";
    if (m.contains("content")) {
      if (auto e = ContentText(m["content"], param, &text)) return e;
    }
    if (!Blank(text)) texts->push_back(std::move(text));
  }
  return std::nullopt;
}

std::optional<ApiError> PromptTexts(const Json& prompt, std::vector<std::string>* texts) {
  if (prompt.is_string()) {
    texts->push_back(prompt.get<std::string>());
    return std::nullopt;
  }
  if (!prompt.is_array()) {
    return BadRequest(
        std::string("prompt: expected a string or an array of strings, got ") + prompt.type_name(),
        "prompt", "invalid_type");
  }
  for (size_t i = 0; i < prompt.size(); ++i) {
    if (!prompt[i].is_string()) {
      return BadRequest("prompt[" + std::to_string(i) +
                            "]: expected a string (token-id prompts cannot be classified), got " +
                            prompt[i].type_name(),
                        "prompt", "invalid_type");
    }
    texts->push_back(prompt[i].get<std::string>());
  }
  return std::nullopt;
}

std::optional<ApiError> RouteTexts(const Json& j, ProxyRoute route, std::vector<std::string>* texts,
                                   bool* per_prompt) {
  switch (route) {
    case ProxyRoute::kChat:
      if (!j.contains("messages")) {
        return BadRequest("messages: missing required field", "messages", "missing_field");
      }
      return UserTurns(j["messages"], "messages", texts);
    case ProxyRoute::kCompletions:
      *per_prompt = true;  // several prompts are several completions: each one is judged
      if (!j.contains("prompt")) return std::nullopt;
      return PromptTexts(j["prompt"], texts);
    case ProxyRoute::kResponses:
      if (!j.contains("input")) return std::nullopt;
      if (j["input"].is_string()) {
        texts->push_back(j["input"].get<std::string>());
        return std::nullopt;
      }
      return UserTurns(j["input"], "input", texts);
  }
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> ExtractProxyPrompt(const std::string& body, ProxyRoute route,
                                           ClassifyTurns turns, const ApiLimits& limits,
                                           ProxyPrompt* out) {
  Json j;
  if (auto e = internal::ParseObject(body, limits, &j)) return e;
  if (j.contains("model") && j["model"].is_string()) out->model = j["model"].get<std::string>();
  out->stream = j.contains("stream") && j["stream"].is_boolean() && j["stream"].get<bool>();
  std::vector<std::string> texts;
  bool per_prompt = false;
  if (auto e = RouteTexts(j, route, &texts, &per_prompt)) return e;
  std::erase_if(texts, Blank);
  if (turns == ClassifyTurns::kLast && !per_prompt && texts.size() > 1) {
    texts.erase(texts.begin(), texts.end() - 1);
  }
  if (static_cast<int64_t>(texts.size()) > limits.max_inputs) {
    return BadRequest("expected at most " + std::to_string(limits.max_inputs) +
                          " user turns to classify (--max-inputs), got " +
                          std::to_string(texts.size()),
                      route == ProxyRoute::kCompletions ? "prompt" : "messages", "too_many_inputs");
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    if (auto e = internal::CheckText(texts[i], "user turn " + std::to_string(i), limits)) return e;
  }
  out->texts = std::move(texts);
  return std::nullopt;
}

}  // namespace haloguard::server::proxy
