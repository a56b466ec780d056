// The Qwen3.5 chat template (chat_template.jinja of Qwen/Qwen3.5-0.8B, sha256 273d8e0e...) for
// messages with string content, rendered in C++: byte-identical to Jinja2 on the real template.
// Not a Jinja engine: tools, images/videos and reasoning_content fields are not supported.
//
//   std::vector<ChatMessage> msgs = {{"system", kGuardPrompt}, {"user", query}};
//   HG_ASSIGN_OR_RETURN(std::string prompt, RenderChat(msgs, /*add_generation_prompt=*/true,
//                                                      /*enable_thinking=*/false));
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace haloguard::tokenizer {

struct ChatMessage {
  std::string role;     // "system", "user", "assistant" or "tool"
  std::string content;  // UTF-8 text
};

// Renders `messages` as tokenizer.apply_chat_template(messages, tokenize=False,
// add_generation_prompt=..., enable_thinking=...) does with the Qwen3.5 template. Contents are
// trimmed with Python str.strip() as the template does. Errors (INVALID_ARGUMENT): the template's
// own raise_exception cases ("No messages provided.", "No user query found in messages.",
// "System message must be at the beginning.", "Unexpected message role.") and ill-formed UTF-8 in
// a message (naming the message and byte offset). Thread-safe.
StatusOr<std::string> RenderChat(std::span<const ChatMessage> messages, bool add_generation_prompt,
                                 bool enable_thinking);

// Python's str.strip() with no argument: removes leading and trailing characters for which
// str.isspace() is true (Unicode White_Space-like set incl. U+001C..U+001F; not U+200B or
// U+FEFF). Ill-formed UTF-8 at either end counts as non-space. Thread-safe.
std::string PythonStrip(std::string_view s);

}  // namespace haloguard::tokenizer
