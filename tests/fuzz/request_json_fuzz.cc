// libFuzzer target: the request-body parsers of the HTTP API (POST /v1/classify,
// /v1/chat/completions, /v1/moderations, /beta/litellm_basic_guardrail_api, and the prompt that
// /ext_authz/* reads from a forwarded LLM request, /portkey/webhook) on arbitrary bytes.
// Byte 0 picks the route; each must
// fill its call or return a 400-class error with a message, and a parsed call must satisfy the
// documented limits (non-blank texts of at most max_input_bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/api.h"
#include "server/integrations.h"

namespace s = haloguard::server;

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

void CheckError(const std::optional<s::ApiError>& e) {
  if (e) Require(e->status >= 400 && e->status < 500 && !e->message.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  s::ApiLimits limits;
  limits.max_input_bytes = 4096;  // small, so the limit is reached too
  switch (data[0] % 6) {
    case 0: {
      s::ClassifyCall c;
      const auto e = s::ParseClassify(body, limits, &c);
      CheckError(e);
      if (!e) {
        Require(!c.texts.empty());
        for (const auto& t : c.texts) Require(static_cast<int64_t>(t.size()) <= limits.max_input_bytes);
      }
      break;
    }
    case 1: {
      s::ChatCall c;
      const auto e = s::ParseChat(body, limits, &c);
      CheckError(e);
      if (!e) Require(!c.text.empty() && static_cast<int64_t>(c.text.size()) <= limits.max_input_bytes);
      break;
    }
    case 5: {
      s::PortkeyWebhookCall c;
      const auto e = s::ParsePortkeyWebhook(body, limits, &c);
      CheckError(e);
      if (!e) {
        Require(!c.after_request || c.texts.empty());
        for (const auto& t : c.texts) Require(static_cast<int64_t>(t.size()) <= limits.max_input_bytes);
      }
      break;
    }
    case 4: {
      s::PromptTexts p;
      const auto e = s::ExtractPromptTexts(body, limits, &p);
      CheckError(e);
      if (!e) {
        Require(p.found || p.texts.empty());
        for (const auto& t : p.texts) Require(static_cast<int64_t>(t.size()) <= limits.max_input_bytes);
      }
      break;
    }
    case 3: {
      s::LitellmGuardrailCall c;
      const auto e = s::ParseLitellmGuardrail(body, limits, &c);
      CheckError(e);
      if (!e) {
        Require(static_cast<int64_t>(c.texts.size()) <= limits.max_inputs);
        for (const auto& t : c.texts) Require(static_cast<int64_t>(t.size()) <= limits.max_input_bytes);
      }
      break;
    }
    default: {
      s::ModerationCall c;
      const auto e = s::ParseModeration(body, limits, &c);
      CheckError(e);
      if (!e) for (const auto& t : c.texts) Require(static_cast<int64_t>(t.size()) <= limits.max_input_bytes);
      break;
    }
  }
  return 0;
}
