// Gateway integration contracts served by the guard server: LiteLLM's Generic Guardrail API
// (POST /beta/litellm_basic_guardrail_api), Envoy's ext_authz HTTP service (/ext_authz/*) and
// Portkey's webhook guardrail (POST /portkey/webhook).
// JSON in -> plain structs, results -> JSON out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "guard/result.h"
#include "server/api.h"
#include "server/http_server.h"

namespace haloguard::server {

// The highest-p_unsafe result (first on ties), among those whose policy action is "block" when
// `blocked_only`; null when there is none. Shared by the gateway contracts and the proxy.
const guard::GuardResult* Riskiest(const std::vector<guard::GuardResult>& results,
                                   bool blocked_only);

// LiteLLM Generic Guardrail API request (BerriAI/litellm
// docs/my-website/docs/adding_provider/generic_guardrail_api.md): `texts` (required array of
// strings), `input_type` ("request" | "response", default "request"); `images`, `tools`,
// `request_data`, `litellm_call_id`, `litellm_trace_id`, `additional_provider_specific_params`
// are accepted and type-checked (objects/arrays/strings), not used.
struct LitellmGuardrailCall {
  std::vector<std::string> texts;  // the non-blank entries of `texts`, in order
  bool is_response = false;        // input_type "response": not classified (input-only model)
  std::string call_id;             // litellm_call_id, "" when absent
};

// Fills `out` or returns the 400 to answer with. At most limits.max_inputs texts, each at most
// limits.max_input_bytes; blank texts are skipped (LiteLLM sends what it extracted).
std::optional<ApiError> ParseLitellmGuardrail(const std::string& body, const ApiLimits& limits,
                                              LitellmGuardrailCall* out);

// {"action": "BLOCKED", "blocked_reason": "..."} when any result's policy action is "block",
// else {"action": "NONE"}. The reason names the riskiest blocked text's category and p_unsafe.
// Never GUARDRAIL_INTERVENED: the guard does not rewrite text.
std::string LitellmGuardrailJson(const std::vector<guard::GuardResult>& results);

// The answer for input_type "response" and for requests with no text: {"action": "NONE"}.
std::string LitellmNoneJson();

// Envoy ext_authz (HTTP service mode, the client's body forwarded with with_request_body): the
// answer for the results of a request's prompt texts. Any result whose policy action is "block"
// -> 403 with an OpenAI-style error (code "content_filter", param "prompt") that Envoy relays to
// the client; otherwise 200 (allow; review/log actions allow too). Both carry the riskiest
// result in x-haloguard-verdict / -category / -p-unsafe / -action, which Envoy adds to the
// upstream request when allowed_upstream_headers lists them.
HttpResponse ExtAuthzAnswer(const std::vector<guard::GuardResult>& results);

// 200 for a request with nothing to classify (no body, or no prompt field): says why in
// x-haloguard-skipped; the verdict header is "skipped".
HttpResponse ExtAuthzSkipped(const std::string& why);

// Portkey's webhook guardrail (Portkey-AI/gateway plugins/default/webhook.ts posts its hook
// context): {"eventType": "beforeRequestHook" | "afterRequestHook", "request": {"json": <the
// LLM request body>, "text": ...}, "response": {...}, "provider", "requestType", "metadata"}.
struct PortkeyWebhookCall {
  std::vector<std::string> texts;  // the prompt of request.json (ExtractPromptTexts), else request.text
  bool after_request = false;      // afterRequestHook: not classified (input-only model)
};
std::optional<ApiError> ParsePortkeyWebhook(const std::string& body, const ApiLimits& limits,
                                            PortkeyWebhookCall* out);

// {"verdict": false, ...} when a text's policy action is "block" (Portkey then applies the
// guardrail's deny/feedback settings), else {"verdict": true, ...}; "data" carries the riskiest
// text's verdict, category, p_unsafe and action.
std::string PortkeyVerdictJson(const std::vector<guard::GuardResult>& results);

// {"verdict": true, "data": {"skipped": why}}: nothing this guard judges.
std::string PortkeySkippedJson(const std::string& why);

}  // namespace haloguard::server
