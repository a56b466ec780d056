// Gateway integration routes on Router: POST /beta/litellm_basic_guardrail_api (LiteLLM's
// Generic Guardrail API), /ext_authz/* (Envoy ext_authz HTTP service) and POST /portkey/webhook
// (Portkey webhook guardrail). The contracts' JSON lives in integrations.cc.
#include "server/integrations.h"
#include "server/routes.h"

namespace haloguard::server {
namespace {

HttpResponse Ok(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  return r;
}

}  // namespace

void Router::LitellmGuardrail(const std::shared_ptr<Call>& call) {
  LitellmGuardrailCall in;
  if (auto e = ParseLitellmGuardrail(call->req.body, opts_.limits, &in)) return Fail(call, *e);
  if (in.is_response) {
    // HaloGuard classifies input prompts only; a post_call check passes and says why.
    HttpResponse r = Ok(LitellmNoneJson());
    r.headers.emplace_back("x-haloguard-skipped", "input_type=response; the model is input-only");
    return Finish(call, std::move(r));
  }
  if (in.texts.empty()) {
    HttpResponse r = Ok(LitellmNoneJson());
    r.headers.emplace_back("x-haloguard-skipped", "no non-blank text");
    return Finish(call, std::move(r));
  }
  Submit(call, std::move(in.texts), false, [](const std::vector<guard::GuardResult>& rs) {
    return Ok(LitellmGuardrailJson(rs));
  });
}

void Router::ExtAuthz(const std::shared_ptr<Call>& call) {
  // Envoy cut the body at max_request_bytes (allow_partial_message): judging a prefix could let
  // the rest through, so refuse (fail closed) and say which setting to raise.
  const std::string* partial = call->req.Header("x-envoy-auth-partial-body");
  if (partial != nullptr && *partial == "true") {
    return Fail(call, HttpError(413, "ext_authz: Envoy forwarded a partial body; expected the whole "
                                     "request (raise with_request_body.max_request_bytes)",
                                "partial_body"));
  }
  if (call->req.body.empty()) return Finish(call, ExtAuthzSkipped("no request body"));
  PromptTexts in;
  if (auto e = ExtractPromptTexts(call->req.body, opts_.limits, &in)) return Fail(call, *e);
  if (!in.found) return Finish(call, ExtAuthzSkipped("no messages, prompt or input field"));
  Submit(call, std::move(in.texts), false,
         [](const std::vector<guard::GuardResult>& rs) { return ExtAuthzAnswer(rs); });
}

void Router::PortkeyWebhook(const std::shared_ptr<Call>& call) {
  PortkeyWebhookCall in;
  if (auto e = ParsePortkeyWebhook(call->req.body, opts_.limits, &in)) return Fail(call, *e);
  if (in.after_request) {
    return Finish(call, Ok(PortkeySkippedJson("afterRequestHook: the model judges input prompts only")));
  }
  if (in.texts.empty()) return Finish(call, Ok(PortkeySkippedJson("no prompt text in the request")));
  Submit(call, std::move(in.texts), false, [](const std::vector<guard::GuardResult>& rs) {
    return Ok(PortkeyVerdictJson(rs));
  });
}

}  // namespace haloguard::server
