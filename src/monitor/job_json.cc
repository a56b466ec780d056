// Job JSON with nlohmann::json; every throw of the library is caught here (parsing uses the
// non-throwing overload, dumping uses error_handler_t::replace).
#include "monitor/job_json.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "monitor/text_span.h"

namespace haloguard::monitor {
namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

constexpr const char* kFields[] = {"document", "messages", "metadata", "priority",
                                   "stop_on_unsafe"};

JobError Bad(std::string message, std::string param, std::string code) {
  return {std::move(message), std::move(param), std::move(code)};
}

std::string Dump(const OJson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `text` as JSON, or null when it is empty or not JSON (stored fields may be damaged).
OJson ParseOrNull(const std::string& text) {
  if (text.empty()) return nullptr;
  OJson j = OJson::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? OJson(nullptr) : j;
}

double Round4(double x) { return std::round(x * 1e4) / 1e4; }

bool Blank(std::string_view s) {
  const auto [b, e] = PythonStripBounds(s);
  return b == e;
}

// Parses with a depth cap enforced while parsing: values nested deeper than the cap are
// discarded as they are met (never built), then the whole body is refused.
std::optional<JobError> ParseObject(std::string_view body, const JobLimits& limits, Json* out) {
  if (body.empty()) return Bad("body: empty; expected a JSON object", "", "invalid_json");
  if (Status s = ValidateUtf8(body); !s.ok()) {
    return Bad("body: not valid UTF-8: " + s.message(), "", "invalid_utf8");
  }
  // nlohmann::json stops at a raw NUL as if the input ended there; JSON never allows one.
  if (size_t nul = body.find('\0'); nul != std::string_view::npos) {
    return Bad("body: raw NUL byte at offset " + std::to_string(nul) + "; expected JSON text",
               "", "invalid_json");
  }
  int deepest = 0;
  auto cap = [&](int depth, Json::parse_event_t ev, Json&) {
    if (ev != Json::parse_event_t::object_start && ev != Json::parse_event_t::array_start)
      return true;
    deepest = std::max(deepest, depth + 1);
    return depth + 1 <= limits.max_json_depth;
  };
  *out = Json::parse(body.begin(), body.end(), cap, /*allow_exceptions=*/false);
  if (out->is_discarded() && deepest <= limits.max_json_depth) {
    return Bad("body: not valid JSON; expected a JSON object", "", "invalid_json");
  }
  if (deepest > limits.max_json_depth) {
    return Bad("body: nested deeper than allowed; expected at most " +
                   std::to_string(limits.max_json_depth) + " levels",
               "", "invalid_json");
  }
  if (!out->is_object()) {
    return Bad(std::string("body: expected a JSON object, got ") + out->type_name(), "",
               "invalid_json");
  }
  for (const auto& [key, value] : out->items()) {
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields)) {
      return Bad(key +
                     ": unknown field; expected document, messages, metadata, priority or "
                     "stop_on_unsafe",
                 key, "unknown_field");
    }
  }
  return std::nullopt;
}

// A message's content: a string, null (no text), or an array of {"type": "text", "text"} parts
// joined by "\n" (the same joining as /v1/classify).
std::optional<JobError> ContentText(const Json& c, const std::string& param, std::string* out) {
  if (c.is_null()) return std::nullopt;
  if (c.is_string()) {
    *out = c.get<std::string>();
    return std::nullopt;
  }
  if (!c.is_array()) {
    return Bad(param + ": expected a string, null or an array of text parts, got " + c.type_name(),
               param, "invalid_type");
  }
  for (size_t i = 0; i < c.size(); ++i) {
    const Json& part = c[i];
    const std::string p = param + "[" + std::to_string(i) + "]";
    if (!part.is_object() || part.value("type", Json()) != "text" || !part.contains("text") ||
        !part["text"].is_string()) {
      return Bad(p + ": expected {\"type\": \"text\", \"text\": \"...\"}", p, "invalid_type");
    }
    if (i > 0) *out += "\n";
    *out += part["text"].get<std::string>();
  }
  return std::nullopt;
}

std::optional<JobError> ParseMessages(const Json& m, const JobLimits& limits, JobSpec* out) {
  if (!m.is_array() || m.empty()) {
    return Bad(std::string("messages: expected a non-empty array, got ") +
                   (m.is_array() ? "an empty array" : m.type_name()),
               "messages", "invalid_type");
  }
  if (static_cast<int64_t>(m.size()) > limits.max_messages) {
    return Bad("messages: too many; expected at most " + std::to_string(limits.max_messages) +
                   ", got " + std::to_string(m.size()),
               "messages", "too_many_messages");
  }
  bool any_text = false;
  for (size_t i = 0; i < m.size(); ++i) {
    const std::string p = "messages[" + std::to_string(i) + "]";
    if (!m[i].is_object()) return Bad(p + ": expected an object", p, "invalid_type");
    if (!m[i].contains("role") || !m[i]["role"].is_string()) {
      return Bad(p + ".role: expected a string", p + ".role", "invalid_type");
    }
    JobMessage msg{m[i]["role"].get<std::string>(), ""};
    if (m[i].contains("content")) {
      if (auto e = ContentText(m[i]["content"], p + ".content", &msg.content)) return e;
    }
    any_text = any_text || !Blank(msg.content);
    out->messages.push_back(std::move(msg));
  }
  if (!any_text) {
    return Bad("messages: no message has text; expected some non-whitespace content", "messages",
               "empty_input");
  }
  out->is_messages = true;
  return std::nullopt;
}

std::optional<JobError> ParseOptions(const Json& j, const JobLimits& limits, JobSpec* out) {
  if (j.contains("stop_on_unsafe") && !j["stop_on_unsafe"].is_null()) {
    if (!j["stop_on_unsafe"].is_boolean()) {
      return Bad(
          std::string("stop_on_unsafe: expected a boolean, got ") + j["stop_on_unsafe"].type_name(),
          "stop_on_unsafe", "invalid_type");
    }
    out->stop_on_unsafe = j["stop_on_unsafe"].get<bool>();
  }
  if (j.contains("priority") && !j["priority"].is_null()) {
    const Json& p = j["priority"];
    std::optional<Priority> pr = p.is_string() ? ParsePriority(p.get<std::string>()) : std::nullopt;
    if (!pr) {
      return Bad("priority: expected \"low\", \"normal\" or \"high\", got " +
                     p.dump(-1, ' ', false, Json::error_handler_t::replace),
                 "priority", "invalid_value");
    }
    out->priority = *pr;
  }
  if (j.contains("metadata") && !j["metadata"].is_null()) {
    if (!j["metadata"].is_object()) {
      return Bad(std::string("metadata: expected an object, got ") + j["metadata"].type_name(),
                 "metadata", "invalid_type");
    }
    out->metadata_json = j["metadata"].dump(-1, ' ', false, Json::error_handler_t::replace);
    if (static_cast<int64_t>(out->metadata_json.size()) > limits.max_metadata_bytes) {
      return Bad("metadata: " + std::to_string(out->metadata_json.size()) +
                     " bytes of JSON; expected at most " +
                     std::to_string(limits.max_metadata_bytes),
                 "metadata", "metadata_too_large");
    }
  }
  return std::nullopt;
}

OJson SpanJson(const TextSpan& s) {
  return {{"char_start", s.char_begin},
          {"char_end", s.char_end},
          {"byte_start", s.byte_begin},
          {"byte_end", s.byte_end}};
}

OJson WindowJson(const WindowScore& w) {
  OJson j;
  j["index"] = w.index;
  j["p_unsafe"] = Round4(w.p_unsafe);
  j["unsafe"] = w.unsafe;
  j["category"] = w.category;
  j["token_start"] = w.token_begin;
  j["token_end"] = w.token_end;
  j.update(SpanJson(w.span));
  return j;
}

}  // namespace

std::optional<JobError> ParseJobRequest(std::string_view body, const JobLimits& limits,
                                        JobSpec* out) {
  *out = JobSpec();
  Json j;
  if (auto e = ParseObject(body, limits, &j)) return e;
  const bool doc = j.contains("document"), msgs = j.contains("messages");
  if (doc == msgs) {
    return Bad(std::string("body: expected exactly one of 'document' or 'messages', got ") +
                   (doc ? "both" : "neither"),
               "", doc ? "invalid_request" : "missing_field");
  }
  if (auto e = ParseOptions(j, limits, out)) return e;
  if (msgs) return ParseMessages(j["messages"], limits, out);
  if (!j["document"].is_string()) {
    return Bad(std::string("document: expected a string, got ") + j["document"].type_name(),
               "document", "invalid_type");
  }
  out->document = j["document"].get<std::string>();
  if (Blank(out->document)) {
    return Bad("document: empty; expected some non-whitespace text", "document", "empty_input");
  }
  return std::nullopt;
}

std::string JobSpecToJson(const JobSpec& spec) {
  OJson j;
  if (spec.is_messages) {
    OJson msgs = OJson::array();
    for (const JobMessage& m : spec.messages) {
      msgs.push_back({{"role", m.role}, {"content", m.content}});
    }
    j["messages"] = std::move(msgs);
  } else {
    j["document"] = spec.document;
  }
  j["stop_on_unsafe"] = spec.stop_on_unsafe;
  j["priority"] = std::string(PriorityName(spec.priority));
  if (!spec.metadata_json.empty()) j["metadata"] = ParseOrNull(spec.metadata_json);
  return Dump(j);
}

std::string JobResultToJson(const JobResult& r) {
  OJson j;
  j["status"] = r.unsafe ? "HARMFUL" : "HARMLESS";
  j["safety_label"] = r.unsafe ? "Unsafe" : "Safe";
  j["category"] = r.category;
  j["p_unsafe"] = Round4(r.p_unsafe);
  j["action"] = r.action;
  j["threshold"] = r.threshold;
  j["window_count"] = r.window_count;
  j["windows_scored"] = r.windows_scored;
  j["stopped_early"] = r.stopped_early;
  j["selected_window_index"] = r.selected_window;
  OJson selected = r.windows.empty() ? OJson(nullptr) : WindowJson(r.windows[r.selected_window]);
  if (r.message_begin >= 0) {
    selected["message_start"] = r.message_begin;
    selected["message_end"] = r.message_end;
  }
  j["selected_window"] = std::move(selected);
  OJson risks = OJson::array(), windows = OJson::array();
  for (const WindowScore& w : r.windows) {
    risks.push_back(Round4(w.p_unsafe));
    windows.push_back(WindowJson(w));
  }
  j["window_risk_scores"] = std::move(risks);
  OJson cats = OJson::object();
  for (const guard::CategoryScore& c : r.category_scores) cats[c.label] = Round4(c.score);
  j["category_scores"] = std::move(cats);
  j["windows"] = std::move(windows);
  j["input"] = {{"tokens", r.input_tokens},
                {"bytes", r.input_bytes},
                {"chars", r.input_chars},
                {"offsets", "unicode_code_points"}};
  return Dump(j);
}

std::string JobInfoToJson(const JobInfo& info) {
  OJson j;
  j["id"] = info.id;
  j["object"] = "monitor.job";
  j["status"] = std::string(JobStateName(info.state));
  j["priority"] = std::string(PriorityName(info.priority));
  j["created_at_ms"] = info.created_ms;
  j["started_at_ms"] = info.started_ms > 0 ? OJson(info.started_ms) : OJson(nullptr);
  j["finished_at_ms"] = info.finished_ms > 0 ? OJson(info.finished_ms) : OJson(nullptr);
  j["progress"] = {
      {"windows_done", info.windows_done},
      {"windows_total", info.windows_total > 0 ? OJson(info.windows_total) : OJson(nullptr)}};
  j["attempts"] = info.attempts;
  j["metadata"] = ParseOrNull(info.metadata_json);
  j["error"] = info.state == JobState::kFailed
                   ? OJson{{"message", info.error}, {"code", info.error_code}}
                   : OJson(nullptr);
  // The result (up to one entry per window, megabytes for a huge document) is spliced in as
  // stored rather than parsed and re-dumped on every GET; it is checked to be one JSON value.
  std::string out = Dump(j);
  const bool has_result = !info.result_json.empty() && Json::accept(info.result_json);
  out.insert(out.size() - 1, ",\"result\":" + (has_result ? info.result_json : "null"));
  return out;
}

}  // namespace haloguard::monitor
