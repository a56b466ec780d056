// The HTTP API's JSON: request bodies -> plain structs (with OpenAI-style errors naming the bad
// field), and results -> the card's / OpenAI's response shapes. The only JSON seam of routes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "guard/result.h"
#include "server/errors.h"

namespace haloguard::server {

struct ApiLimits {
  int64_t max_inputs = 64;          // texts per request (queries[] / input[])
  int64_t max_input_bytes = 65536;  // UTF-8 bytes per text
  int max_json_depth = 32;
};

struct ClassifyCall {
  std::vector<std::string> texts;
  bool batch = false;     // {"queries": [...]} form: answer {"results": [...]}
  bool generate = false;  // also run the literal greedy decode
};

struct ChatCall {
  std::string text;   // the last user message
  std::string model;  // "" when absent
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // NeMo Guardrails / logprob-reading clients: validated; the verdict does not depend on
  // max_tokens or temperature (scored, not sampled); logprobs adds the verdict token's logprobs.
  bool logprobs = false;
  int top_logprobs = 0;  // 0..20 alternatives per logprob entry (OpenAI's range)
};

struct ModerationCall {
  std::vector<std::string> texts;
  std::string model;
};

// Each parser fills `out` or returns the error to answer with (400; param names the field).
// Bodies must be a JSON object of valid UTF-8, nested at most max_json_depth deep; every text
// must be non-blank and at most max_input_bytes long.
std::optional<ApiError> ParseClassify(const std::string& body, const ApiLimits& limits,
                                      ClassifyCall* out);
std::optional<ApiError> ParseChat(const std::string& body, const ApiLimits& limits, ChatCall* out);
std::optional<ApiError> ParseModeration(const std::string& body, const ApiLimits& limits,
                                        ModerationCall* out);

// The user text of an OpenAI-style LLM request body that a gateway check (Envoy ext_authz) sees:
// chat "messages" (the last user message), completions "prompt" (a string or an array of
// strings), or responses/embeddings-style "input" (a string, an array of strings or text parts,
// or an array of messages: the last user one). Only those fields are read; others pass
// unchecked. found = false (and no error) when the body has none of them; a field that is
// present but malformed is a 400 naming it, like the guard's own endpoints.
struct PromptTexts {
  std::vector<std::string> texts;
  bool found = false;
};
std::optional<ApiError> ExtractPromptTexts(const std::string& body, const ApiLimits& limits,
                                           PromptTexts* out);

struct ChatRender {
  std::string id;       // "chatcmpl-..."
  int64_t created = 0;  // unix seconds
  std::string model;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  bool logprobs = false;  // add choices[0].logprobs for the verdict token
  int top_logprobs = 0;
};

// The two-line answer ("Safety: unsafe\nCategory: x"): raw_response, or built from the verdict.
std::string AnswerText(const guard::GuardResult& r);
// {"results": [GuardResultToJson(r), ...]}
std::string ClassifyBatchJson(const std::vector<guard::GuardResult>& results, bool include_debug);
// The chat.completion object with `classification` (the guard result without _debug). With
// c.logprobs, choices[0].logprobs.content holds one entry: the verdict token ("safe"|"unsafe")
// with logprob = log p over {safe, unsafe} (the card's two-way softmax, not the full vocabulary)
// and up to c.top_logprobs alternatives from those two.
std::string ChatCompletionJson(const ChatRender& c, const guard::GuardResult& r);
// The same content as an SSE body: role chunk, one content chunk per answer line, a finish chunk
// carrying `classification`, an optional usage chunk, then "data: [DONE]".
std::string ChatCompletionStream(const ChatRender& c, const guard::GuardResult& r,
                                 bool include_usage);
// OpenAI moderation object. flagged = Unsafe; category_scores[L] = p_unsafe * P(L | unsafe);
// categories[L] = flagged && L == the reported category.
std::string ModerationJson(const std::string& id, const std::string& model,
                           const std::vector<guard::GuardResult>& results);
// GET /v1/models: one model object per name.
std::string ModelsJson(const std::vector<std::string>& names, int64_t created);

struct HealthView {
  std::string status;  // "ok" | "loading" | "draining"
  bool ready = false;
  const guard::ModelInfo* info = nullptr;  // null while loading
  std::string version;
  double uptime_s = 0;
};
std::string HealthJson(const HealthView& h);

}  // namespace haloguard::server
