// What the guard proxy classifies in an upstream-bound LLM request: the user text of a chat
// completion (messages), a completion (prompt) or a response (input), per --classify-turns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/api.h"
#include "server/proxy/proxy_options.h"

namespace haloguard::server::proxy {

enum class ProxyRoute { kChat, kCompletions, kResponses };

struct ProxyPrompt {
  std::vector<std::string> texts;  // to classify, in request order; empty = nothing user-written
  std::string model;               // the request's "model" ("" when absent)
  bool stream = false;             // "stream": true
};

// Reads `body` (a JSON object, within `limits`' UTF-8/depth rules) for `route`:
//   chat         messages[].content of role "user": a string, or the "text" of its text parts
//                ("text" / "input_text"; image and audio parts are skipped);
//   completions  prompt: a string or an array of strings (each one classified);
//   responses    input: a string, or the user messages among its items (content as for chat).
// kLast keeps the last user turn, kAll every one (more than limits.max_inputs is a 400). Blank
// turns are skipped. Returns the 400 to answer with for a malformed field (never forwarded):
// messages not an array, a token-id prompt (unreadable to the guard), a turn longer than
// limits.max_input_bytes.
std::optional<ApiError> ExtractProxyPrompt(const std::string& body, ProxyRoute route,
                                           ClassifyTurns turns, const ApiLimits& limits,
                                           ProxyPrompt* out);

}  // namespace haloguard::server::proxy
