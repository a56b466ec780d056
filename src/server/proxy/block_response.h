// The guard proxy's answers for a blocked prompt: Azure OpenAI's content-filter error (400), or a
// refusal that looks like an ordinary completion (200, finish_reason "content_filter"), plain or
// as an SSE stream; plus the x-haloguard-* verdict headers every proxied response carries.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "guard/result.h"
#include "server/http_server.h"
#include "server/proxy/prompt.h"

namespace haloguard::server::proxy {

// x-haloguard-verdict ("safe" | "unsafe" | `verdict_override` when given, e.g. "error",
// "skipped"), x-haloguard-category, x-haloguard-p-unsafe (4 decimals), x-haloguard-action. With a
// null result: the override, category "none", p-unsafe absent.
std::vector<std::pair<std::string, std::string>> VerdictHeaders(
    const guard::GuardResult* result, const std::string& verdict_override = "");

// 400, Azure OpenAI's shape: {"error": {"message", "type": null, "param": "prompt", "code":
// "content_filter", "status": 400, "innererror": {"code": "ResponsibleAIPolicyViolation",
// "content_filter_result": {"hate"|"sexual"|"violence"|"self_harm": {"filtered", "severity"},
// "jailbreak": {"filtered", "detected"}, "haloguard": {"filtered": true, "category",
// "p_unsafe", "action"}}}}}. The Azure key our category maps to is filtered with a severity from
// p_unsafe (high >= 0.9, medium >= 0.75, else low); the others are "safe".
HttpResponse ContentFilterError(const guard::GuardResult& blocked);

// 200 with `message` as the model's answer and finish_reason "content_filter": a chat.completion
// (chat), a text_completion (completions) or a response object (responses, status
// "incomplete", incomplete_details.reason "content_filter"). With `stream`: the same as SSE,
// one chunk carrying the content and the finish reason, then "data: [DONE]" (responses: the
// API's events, response.created ... output_text.delta (the whole message) ... a terminal
// response.incomplete).
HttpResponse Refusal(ProxyRoute route, const std::string& model, const std::string& message,
                     bool stream);

}  // namespace haloguard::server::proxy
