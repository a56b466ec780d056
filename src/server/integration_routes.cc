// Gateway integration routes on Router: POST /beta/litellm_basic_guardrail_api (LiteLLM's
// Generic Guardrail API). The contracts' JSON lives in integrations.cc.
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

}  // namespace haloguard::server
