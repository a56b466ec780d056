// RenderChat follows the template's statements in order; comments quote the Jinja they mirror.
#include "tokenizer/chat_template.h"

#include <optional>

#include "core/utf8.h"
#include "tokenizer/unicode.h"

namespace haloguard::tokenizer {
namespace {

// The code point at s[i] and its length, or nullopt if s[i..] does not start a well-formed
// UTF-8 character.
std::optional<std::pair<uint32_t, size_t>> CharAt(std::string_view s, size_t i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  const size_t len = b0 < 0x80 ? 1 : b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  if (i + len > s.size() || !ValidateUtf8(s.substr(i, len)).ok()) return std::nullopt;
  size_t j = i;
  return std::make_pair(DecodeUtf8(s, j), len);
}

bool IsPySpaceAt(std::string_view s, size_t i, size_t* len) {
  auto c = CharAt(s, i);
  if (!c || !(CharClasses(c->first) & kClassPythonSpace)) return false;
  *len = c->second;
  return true;
}

std::string_view StripChar(std::string_view s, char c, bool left, bool right) {
  while (left && !s.empty() && s.front() == c) s.remove_prefix(1);
  while (right && !s.empty() && s.back() == c) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// {%- if not(content.startswith('<tool_response>') and content.endswith('</tool_response>')) %}
bool IsToolResponse(std::string_view content) {
  return StartsWith(content, "<tool_response>") && EndsWith(content, "</tool_response>");
}

Status TemplateError(const std::string& message) {
  return InvalidArgumentError("RenderChat: " + message);
}

// The index of the last user message that is not a wrapped tool response:
// {%- for message in messages[::-1] %} ... {%- set ns.last_query_index = index %}
std::optional<size_t> LastQueryIndex(std::span<const ChatMessage> messages) {
  for (size_t k = messages.size(); k-- > 0;) {
    if (messages[k].role == "user" && !IsToolResponse(PythonStrip(messages[k].content))) return k;
  }
  return std::nullopt;
}

// {%- elif message.role == "assistant" %} with string content and no tool_calls.
void RenderAssistant(std::string content, bool after_last_query, std::string& out) {
  std::string reasoning;
  const size_t close = content.find("</think>");
  if (close != std::string::npos) {
    // content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n')
    std::string_view before =
        StripChar(std::string_view(content).substr(0, close), '\n', false, true);
    const size_t open = before.rfind("<think>");
    if (open != std::string_view::npos) before = before.substr(open + 7);
    reasoning = std::string(StripChar(before, '\n', true, false));
    // content.split('</think>')[-1].lstrip('\n')
    content = std::string(StripChar(std::string_view(content).substr(content.rfind("</think>") + 8),
                                    '\n', true, false));
  }
  reasoning = PythonStrip(reasoning);
  if (after_last_query) {
    out += "<|im_start|>assistant\n<think>\n" + reasoning + "\n</think>\n\n" + content;
  } else {
    out += "<|im_start|>assistant\n" + content;
  }
  out += "<|im_end|>\n";
}

// {%- elif message.role == "tool" %}
void RenderTool(std::span<const ChatMessage> messages, size_t k, const std::string& content,
                std::string& out) {
  if (k > 0 && messages[k - 1].role != "tool") out += "<|im_start|>user";
  out += "\n<tool_response>\n" + content + "\n</tool_response>";
  const bool last = k + 1 == messages.size();
  if (last || messages[k + 1].role != "tool") out += "<|im_end|>\n";
}

}  // namespace

std::string PythonStrip(std::string_view s) {
  size_t len = 0;
  while (!s.empty() && IsPySpaceAt(s, 0, &len)) s.remove_prefix(len);
  while (!s.empty()) {
    size_t start = s.size() - 1;  // back up to the lead byte of the last character
    while (start > 0 && s.size() - start < 4 && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80)
      --start;
    if (!IsPySpaceAt(s, start, &len) || start + len != s.size()) break;
    s.remove_suffix(len);
  }
  return std::string(s);
}

StatusOr<std::string> RenderChat(std::span<const ChatMessage> messages, bool add_generation_prompt,
                                 bool enable_thinking) {
  for (size_t k = 0; k < messages.size(); ++k) {
    HG_RETURN_IF_ERROR(ValidateUtf8(messages[k].content)
                           .WithPrefix("RenderChat: message " + std::to_string(k) + " content"));
  }
  if (messages.empty()) return TemplateError("No messages provided.");
  std::string out;
  // {%- if messages[0].role == 'system' %} ... '<|im_start|>system\n' + content + '<|im_end|>\n'
  if (messages[0].role == "system") {
    out += "<|im_start|>system\n" + PythonStrip(messages[0].content) + "<|im_end|>\n";
  }
  const std::optional<size_t> last_query = LastQueryIndex(messages);
  if (!last_query) return TemplateError("No user query found in messages.");
  for (size_t k = 0; k < messages.size(); ++k) {
    const ChatMessage& m = messages[k];
    const std::string content = PythonStrip(m.content);
    if (m.role == "system") {
      if (k != 0) return TemplateError("System message must be at the beginning.");
    } else if (m.role == "user") {
      out += "<|im_start|>user\n" + content + "<|im_end|>\n";
    } else if (m.role == "assistant") {
      RenderAssistant(content, k > *last_query, out);
    } else if (m.role == "tool") {
      RenderTool(messages, k, content, out);
    } else {
      return TemplateError("Unexpected message role.");
    }
  }
  if (add_generation_prompt) {
    out += "<|im_start|>assistant\n";
    out += enable_thinking ? "<think>\n" : "<think>\n\n</think>\n\n";
  }
  return out;
}

}  // namespace haloguard::tokenizer
