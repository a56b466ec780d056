// Request parsing and response rendering with nlohmann::json; every throw is caught here.
#include "server/api.h"

#include <cmath>
#include <limits>
#include <utility>
#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "server/api_json.h"

namespace haloguard::server {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

}  // namespace

namespace internal {

ApiError BadRequest(std::string message, std::string param, std::string code) {
  ApiError e = HttpError(400, std::move(message), code.empty() ? "invalid_request" : code);
  e.param = std::move(param);
  return e;
}

// Nesting depth of JSON arrays/objects, scanning outside strings (before the real parse, so a
// hostile 1 MB "[[[[..." never reaches a recursive consumer).
static int JsonDepth(const std::string& s) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

std::optional<ApiError> ParseObject(const std::string& body, const ApiLimits& limits, Json* out) {
  if (body.empty())
    return BadRequest("request body is empty; expected a JSON object", "", "invalid_json");
  if (Status s = ValidateUtf8(body); !s.ok()) {
    return BadRequest("request body is not valid UTF-8: " + s.message(), "", "invalid_utf8");
  }
  // nlohmann::json stops at a raw NUL as if the input ended there; JSON never allows one.
  if (size_t nul = body.find('\0'); nul != std::string::npos) {
    return BadRequest("request body has a raw NUL byte at offset " + std::to_string(nul) +
                          "; expected JSON text (write \\u0000 inside a string)",
                      "", "invalid_json");
  }
  if (int d = JsonDepth(body); d > limits.max_json_depth) {
    return BadRequest("request body nests " + std::to_string(d) +
                          " levels deep; expected at most " + std::to_string(limits.max_json_depth),
                      "", "invalid_json");
  }
  try {
    *out = Json::parse(body);
  } catch (const Json::exception& e) {
    return BadRequest(std::string("request body is not valid JSON: ") + e.what(), "",
                      "invalid_json");
  }
  if (!out->is_object()) {
    return BadRequest(std::string("request body: expected a JSON object, got ") + out->type_name(),
                      "", "invalid_json");
  }
  return std::nullopt;
}

std::optional<ApiError> CheckText(const std::string& text, const std::string& param,
                                  const ApiLimits& limits) {
  if (text.find_first_not_of(" \t\r\n\f\v") == std::string::npos) {
    return BadRequest(param + ": empty input; expected non-blank text", param, "empty_input");
  }
  if (static_cast<int64_t>(text.size()) > limits.max_input_bytes) {
    return BadRequest(param + ": input of " + std::to_string(text.size()) +
                          " bytes exceeds the limit; expected at most " +
                          std::to_string(limits.max_input_bytes) + " bytes",
                      param, "context_length_exceeded");
  }
  return std::nullopt;
}

}  // namespace internal

namespace {

using internal::BadRequest;
using internal::CheckText;
using internal::ParseObject;

std::optional<ApiError> GetText(const Json& v, const std::string& param, const ApiLimits& limits,
                                std::string* out) {
  if (!v.is_string()) {
    return BadRequest(param + ": expected a string, got " + v.type_name(), param, "invalid_type");
  }
  *out = v.get<std::string>();
  return CheckText(*out, param, limits);
}

// Text of one {"type": "text", "text": "..."} content part.
std::optional<ApiError> PartText(const Json& part, const std::string& param, std::string* out) {
  if (!part.is_object() || !part.contains("type") || part["type"] != "text" ||
      !part.contains("text") || !part["text"].is_string()) {
    return BadRequest(param + ": expected {\"type\": \"text\", \"text\": \"...\"}", param,
                      "invalid_type");
  }
  *out = part["text"].get<std::string>();
  return std::nullopt;
}

// Text of an OpenAI message `content`: a string, or an array of text parts joined by newlines.
std::optional<ApiError> ContentText(const Json& content, const std::string& param,
                                    const ApiLimits& limits, std::string* out) {
  if (content.is_string()) return GetText(content, param, limits, out);
  if (!content.is_array()) {
    return BadRequest(
        param + ": expected a string or an array of text parts, got " + content.type_name(), param,
        "invalid_type");
  }
  out->clear();
  for (size_t i = 0; i < content.size(); ++i) {
    std::string text;
    if (auto e = PartText(content[i], param + "[" + std::to_string(i) + "]", &text)) return e;
    if (!out->empty()) *out += "\n";
    *out += text;
  }
  return CheckText(*out, param, limits);
}

std::optional<ApiError> LastUserText(const Json& messages, const ApiLimits& limits,
                                     std::string* out) {
  if (!messages.is_array() || messages.empty()) {
    return BadRequest(std::string("messages: expected a non-empty array of messages, got ") +
                          (messages.is_array() ? "an empty array" : messages.type_name()),
                      "messages", "invalid_type");
  }
  int last_user = -1;
  for (size_t i = 0; i < messages.size(); ++i) {
    const Json& m = messages[i];
    const std::string p = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return BadRequest(p + ": expected an object", p, "invalid_type");
    if (!m.contains("role") || !m["role"].is_string()) {
      return BadRequest(p + ".role: expected a string", p + ".role", "invalid_type");
    }
    if (m["role"] == "user") last_user = static_cast<int>(i);
  }
  if (last_user < 0) {
    return BadRequest("messages: expected at least one message with role 'user'", "messages",
                      "missing_user_message");
  }
  const std::string p = "messages[" + std::to_string(last_user) + "].content";
  const Json& m = messages[static_cast<size_t>(last_user)];
  if (!m.contains("content")) return BadRequest(p + ": missing", p, "missing_field");
  return ContentText(m["content"], p, limits, out);
}

std::optional<ApiError> OptionalBool(const Json& j, const char* key, bool* out) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_boolean()) {
    return BadRequest(std::string(key) + ": expected a boolean, got " + j[key].type_name(), key,
                      "invalid_type");
  }
  *out = j[key].get<bool>();
  return std::nullopt;
}

std::optional<ApiError> OptionalString(const Json& j, const char* key, std::string* out) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_string()) {
    return BadRequest(std::string(key) + ": expected a string, got " + j[key].type_name(), key,
                      "invalid_type");
  }
  *out = j[key].get<std::string>();
  return std::nullopt;
}

// A non-empty array of at most max_inputs texts (strings, or text parts when allow_parts).
std::optional<ApiError> TextArray(const Json& arr, const std::string& param,
                                  const ApiLimits& limits, bool allow_parts,
                                  std::vector<std::string>* out) {
  if (arr.empty() || static_cast<int64_t>(arr.size()) > limits.max_inputs) {
    return BadRequest(param + ": expected 1.." + std::to_string(limits.max_inputs) +
                          " inputs, got " + std::to_string(arr.size()),
                      param, "invalid_batch_size");
  }
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string p = param + "[" + std::to_string(i) + "]";
    std::string text;
    std::optional<ApiError> e;
    if (allow_parts && arr[i].is_object()) {
      e = PartText(arr[i], p, &text);
      if (!e) e = CheckText(text, p, limits);
    } else {
      e = GetText(arr[i], p, limits, &text);
    }
    if (e) return e;
    out->push_back(std::move(text));
  }
  return std::nullopt;
}

// An optional number in [lo, hi]; integral when `integer`.
std::optional<ApiError> OptionalNumber(const Json& j, const char* key, double lo, double hi,
                                       bool integer, double* out) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  const Json& v = j[key];
  const bool ok_type = integer ? v.is_number_integer() : v.is_number();
  if (!ok_type) {
    return BadRequest(std::string(key) + ": expected " + (integer ? "an integer" : "a number") +
                          ", got " + v.type_name(),
                      key, "invalid_type");
  }
  const double d = v.get<double>();
  if (!(d >= lo && d <= hi)) {
    return BadRequest(std::string(key) + ": expected a value in [" + Json(lo).dump() + ", " +
                          Json(hi).dump() + "], got " + v.dump(),
                      key, "invalid_value");
  }
  *out = d;
  return std::nullopt;
}

// max_tokens / max_completion_tokens / temperature / top_p (validated, not used: the verdict
// is scored, not sampled), logprobs, top_logprobs (OpenAI's ranges).
std::optional<ApiError> SamplingFields(const Json& j, ChatCall* out) {
  double unused = 0, top = 0;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (auto e = OptionalNumber(j, key, 1, 1e9, true, &unused)) return e;
  }
  if (auto e = OptionalNumber(j, "temperature", 0, 2, false, &unused)) return e;
  if (auto e = OptionalNumber(j, "top_p", 0, 1, false, &unused)) return e;
  if (auto e = OptionalBool(j, "logprobs", &out->logprobs)) return e;
  if (auto e = OptionalNumber(j, "top_logprobs", 0, 20, true, &top)) return e;
  out->top_logprobs = static_cast<int>(top);
  if (out->top_logprobs > 0 && !out->logprobs) {
    return BadRequest("top_logprobs: requires logprobs: true", "top_logprobs", "invalid_value");
  }
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> ParseClassify(const std::string& body, const ApiLimits& limits,
                                      ClassifyCall* out) {
  Json j;
  if (auto e = ParseObject(body, limits, &j)) return e;
  const int forms = j.contains("query") + j.contains("messages") + j.contains("queries");
  if (forms != 1) {
    return BadRequest(
        std::string("expected exactly one of 'query', 'messages' or 'queries', got ") +
            std::to_string(forms),
        "", forms == 0 ? "missing_field" : "invalid_request");
  }
  if (auto e = OptionalBool(j, "generate", &out->generate)) return e;
  if (j.contains("query")) {
    out->texts.emplace_back();
    return GetText(j["query"], "query", limits, &out->texts.back());
  }
  if (j.contains("messages")) {
    out->texts.emplace_back();
    return LastUserText(j["messages"], limits, &out->texts.back());
  }
  out->batch = true;
  if (!j["queries"].is_array()) {
    return BadRequest(
        std::string("queries: expected an array of strings, got ") + j["queries"].type_name(),
        "queries", "invalid_type");
  }
  return TextArray(j["queries"], "queries", limits, false, &out->texts);
}

std::optional<ApiError> ParseChat(const std::string& body, const ApiLimits& limits, ChatCall* out) {
  Json j;
  if (auto e = ParseObject(body, limits, &j)) return e;
  if (!j.contains("messages"))
    return BadRequest("messages: missing required field", "messages", "missing_field");
  if (auto e = OptionalString(j, "model", &out->model)) return e;
  if (auto e = OptionalBool(j, "stream", &out->stream)) return e;
  if (j.contains("n") && !j["n"].is_null() && j["n"] != 1) {
    return BadRequest("n: only n=1 is supported", "n", "unsupported_value");
  }
  if (j.contains("stream_options") && !j["stream_options"].is_null()) {
    if (!j["stream_options"].is_object()) {
      return BadRequest("stream_options: expected an object", "stream_options", "invalid_type");
    }
    if (auto e = OptionalBool(j["stream_options"], "include_usage", &out->include_usage)) return e;
  }
  if (auto e = SamplingFields(j, out)) return e;
  return LastUserText(j["messages"], limits, &out->text);
}

std::optional<ApiError> ExtractPromptTexts(const std::string& body, const ApiLimits& limits,
                                           PromptTexts* out) {
  Json j;
  if (auto e = ParseObject(body, limits, &j)) return e;
  if (j.contains("messages")) {
    out->found = true;
    out->texts.emplace_back();
    return LastUserText(j["messages"], limits, &out->texts.back());
  }
  for (const char* key : {"prompt", "input"}) {
    if (!j.contains(key)) continue;
    out->found = true;
    const Json& v = j[key];
    if (v.is_string()) {
      out->texts.emplace_back();
      return GetText(v, key, limits, &out->texts.back());
    }
    const bool messages = v.is_array() && !v.empty() && v[0].is_object() && v[0].contains("role");
    if (messages) {
      out->texts.emplace_back();
      return LastUserText(v, limits, &out->texts.back());
    }
    if (!v.is_array()) {
      return BadRequest(std::string(key) + ": expected a string or an array, got " + v.type_name(),
                        key, "invalid_type");
    }
    return TextArray(v, key, limits, true, &out->texts);
  }
  return std::nullopt;
}

std::optional<ApiError> ParseModeration(const std::string& body, const ApiLimits& limits,
                                        ModerationCall* out) {
  Json j;
  if (auto e = ParseObject(body, limits, &j)) return e;
  if (auto e = OptionalString(j, "model", &out->model)) return e;
  if (!j.contains("input"))
    return BadRequest("input: missing required field", "input", "missing_field");
  const Json& input = j["input"];
  if (input.is_string()) {
    out->texts.emplace_back();
    return GetText(input, "input", limits, &out->texts.back());
  }
  if (!input.is_array()) {
    return BadRequest(
        std::string("input: expected a string or an array of strings, got ") + input.type_name(),
        "input", "invalid_type");
  }
  return TextArray(input, "input", limits, true, &out->texts);
}

namespace {

OJson Classification(const guard::GuardResult& r) {
  return OJson::parse(guard::GuardResultToJson(r, /*include_debug=*/false));
}

OJson Usage(const ChatRender& c) {
  return {{"prompt_tokens", c.prompt_tokens},
          {"completion_tokens", c.completion_tokens},
          {"total_tokens", c.prompt_tokens + c.completion_tokens}};
}

std::string Dump(const OJson& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

OJson Chunk(const ChatRender& c, OJson delta, const char* finish_reason) {
  OJson choice = {{"index", 0},
                  {"delta", std::move(delta)},
                  {"logprobs", nullptr},
                  {"finish_reason", finish_reason ? OJson(finish_reason) : OJson(nullptr)}};
  return {{"id", c.id},
          {"object", "chat.completion.chunk"},
          {"created", c.created},
          {"model", c.model},
          {"choices", OJson::array({std::move(choice)})}};
}

OJson TokenLogprob(const std::string& token, double p) {
  OJson bytes = OJson::array();
  for (unsigned char ch : token) bytes.push_back(static_cast<int>(ch));
  // log(0) is -inf, which JSON cannot carry; clamp at the smallest normal double's log.
  const double lp = p > 0 ? std::log(p) : std::log(std::numeric_limits<double>::min());
  return {{"token", token}, {"logprob", lp}, {"bytes", std::move(bytes)}};
}

// choices[0].logprobs: the verdict token over {safe, unsafe}, with top_logprobs alternatives.
OJson VerdictLogprobs(const ChatRender& c, const guard::GuardResult& r) {
  if (!c.logprobs) return nullptr;
  const bool unsafe = r.safety_label == "Unsafe";
  OJson entry = TokenLogprob(unsafe ? "unsafe" : "safe", unsafe ? r.p_unsafe : r.p_safe);
  OJson top = OJson::array();
  std::vector<std::pair<std::string, double>> alts = {{"safe", r.p_safe}, {"unsafe", r.p_unsafe}};
  if (alts[1].second > alts[0].second) std::swap(alts[0], alts[1]);
  for (int i = 0; i < c.top_logprobs && i < 2; ++i)
    top.push_back(TokenLogprob(alts[i].first, alts[i].second));
  entry["top_logprobs"] = std::move(top);
  return {{"content", OJson::array({std::move(entry)})}, {"refusal", nullptr}};
}

}  // namespace

std::string AnswerText(const guard::GuardResult& r) {
  if (!r.raw_response.empty()) return r.raw_response;
  return r.safety_label == "Unsafe" ? "Safety: unsafe\nCategory: " + r.category
                                    : "Safety: safe\nCategory: none";
}

std::string ClassifyBatchJson(const std::vector<guard::GuardResult>& results, bool include_debug) {
  std::string out = "{\"results\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    if (i) out += ",";
    out += guard::GuardResultToJson(results[i], include_debug);
  }
  return out + "]}";
}

std::string ChatCompletionJson(const ChatRender& c, const guard::GuardResult& r) {
  OJson message = {{"role", "assistant"}, {"content", AnswerText(r)}, {"refusal", nullptr}};
  OJson choice = {{"index", 0},
                  {"message", std::move(message)},
                  {"logprobs", VerdictLogprobs(c, r)},
                  {"finish_reason", "stop"}};
  OJson j = {{"id", c.id},
             {"object", "chat.completion"},
             {"created", c.created},
             {"model", c.model},
             {"choices", OJson::array({std::move(choice)})},
             {"usage", Usage(c)},
             {"classification", Classification(r)}};
  return Dump(j);
}

std::string ChatCompletionStream(const ChatRender& c, const guard::GuardResult& r,
                                 bool include_usage) {
  std::vector<OJson> chunks;
  chunks.push_back(Chunk(c, {{"role", "assistant"}, {"content", ""}}, nullptr));
  const std::string answer = AnswerText(r);
  for (size_t start = 0; start < answer.size();) {
    size_t nl = answer.find('\n', start);
    size_t end = nl == std::string::npos ? answer.size() : nl + 1;
    chunks.push_back(Chunk(c, {{"content", answer.substr(start, end - start)}}, nullptr));
    start = end;
  }
  OJson last = Chunk(c, OJson::object(), "stop");
  last["classification"] = Classification(r);
  chunks.push_back(std::move(last));
  if (include_usage) {
    OJson usage = Chunk(c, OJson::object(), nullptr);
    usage["choices"] = OJson::array();
    usage["usage"] = Usage(c);
    chunks.push_back(std::move(usage));
  }
  std::string out;
  for (const OJson& ch : chunks) out += "data: " + Dump(ch) + "\n\n";
  return out + "data: [DONE]\n\n";
}

std::string ModerationJson(const std::string& id, const std::string& model,
                           const std::vector<guard::GuardResult>& results) {
  OJson list = OJson::array();
  for (const guard::GuardResult& r : results) {
    const bool flagged = r.safety_label == "Unsafe";
    OJson cats = OJson::object(), scores = OJson::object(), types = OJson::object();
    // Every category the guard prompt defines (the card's 29 unless --guard-prompt adds some).
    for (const guard::CategoryScore& s : r.category_scores) {
      const std::string& key = s.label;
      const bool hit = flagged && r.category == key;
      cats[key] = hit;
      scores[key] = r.p_unsafe * s.score;
      types[key] = hit ? OJson::array({"text"}) : OJson::array();
    }
    list.push_back({{"flagged", flagged},
                    {"categories", std::move(cats)},
                    {"category_scores", std::move(scores)},
                    {"category_applied_input_types", std::move(types)}});
  }
  return Dump({{"id", id}, {"model", model}, {"results", std::move(list)}});
}

std::string ModelsJson(const std::vector<std::string>& names, int64_t created) {
  OJson data = OJson::array();
  for (const std::string& n : names) {
    data.push_back(
        {{"id", n}, {"object", "model"}, {"created", created}, {"owned_by", "haloguard"}});
  }
  return Dump({{"object", "list"}, {"data", std::move(data)}});
}

std::string HealthJson(const HealthView& h) {
  OJson j;
  j["status"] = h.status;
  j["ready"] = h.ready;
  const guard::ModelInfo* m = h.info;
  j["model_id"] = m ? OJson(m->model_id) : OJson(nullptr);
  j["model_revision"] = m ? OJson(m->model_revision) : OJson(nullptr);
  j["device"] = m ? OJson(m->device) : OJson(nullptr);
  j["dtype"] = m ? OJson(m->dtype) : OJson(nullptr);
  OJson digests = OJson::object();
  if (m)
    for (const auto& [k, v] : m->artifact_digests) digests[k] = v;
  j["artifact_digests"] = std::move(digests);
  j["max_input_tokens"] = m ? OJson(m->max_input_tokens) : OJson(nullptr);
  j["window_length"] = m ? OJson(m->window_length) : OJson(nullptr);
  j["window_stride"] = m ? OJson(m->window_stride) : OJson(nullptr);
  if (m) {
    j["settings"] = {{"weights", m->weights},
                     {"threshold", m->threshold},
                     {"policy_file", m->policy_file},
                     {"calibration_file", m->calibration_file},
                     {"attack_rules_file", m->attack_rules_file}};
    j["adapter"] = m->adapter_id.empty()
                       ? OJson(nullptr)
                       : OJson{{"id", m->adapter_id},
                               {"revision", m->adapter_revision},
                               {"sha256", m->adapter_digest},
                               {"base_model_name_or_path", m->adapter_base},
                               {"r", m->adapter_rank},
                               {"scale", m->adapter_scale},
                               {"mode", m->adapter_mode},
                               {"matrices", m->adapter_modules},
                               {"bytes", m->adapter_bytes}};
  }
  j["version"] = h.version;
  j["uptime_s"] = std::round(h.uptime_s * 1000) / 1000;
  return Dump(j);
}

}  // namespace haloguard::server
