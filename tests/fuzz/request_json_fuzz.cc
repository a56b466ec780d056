// libFuzzer target: the request-body parsers of the HTTP API (POST /v1/classify,
// /v1/chat/completions, /v1/moderations, /beta/litellm_basic_guardrail_api, and the prompt that
// /ext_authz/* reads from a forwarded LLM request, /portkey/webhook, and the user turns the
// guard proxy mode classifies in chat/completions/responses bodies) on arbitrary bytes.
// Byte 0 picks the route; each must
// fill its call or return a 400-class error with a message, and a parsed call must satisfy the
// documented limits (non-blank texts of at most max_input_bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "server/api.h"
#include "server/integrations.h"
#include "server/proxy/prompt.h"

namespace s = haloguard::server;
namespace px = haloguard::server::proxy;

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

void CheckError(const std::optional<s::ApiError>& e) {
  if (e) Require(e->status >= 400 && e->status < 500 && !e->message.empty());
}

// Every text a parser accepted is within the per-text limit.
void RequireWithinLimit(const std::vector<std::string>& texts, const s::ApiLimits& limits) {
  for (const auto& t : texts) Require(static_cast<int64_t>(t.size()) <= limits.max_input_bytes);
}

// Runs one parser: it must either fail with a 4xx message or fill a `Call` that `check` accepts.
template <class Call, class Parse, class Check>
void FuzzParser(const std::string& body, const s::ApiLimits& limits, Parse parse, Check check) {
  Call c;
  const std::optional<s::ApiError> e = parse(body, limits, &c);
  CheckError(e);
  if (!e) check(c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  s::ApiLimits limits;
  limits.max_input_bytes = 4096;  // small, so the limit is reached too
  switch (data[0] % 9) {
    case 0:
      FuzzParser<s::ClassifyCall>(body, limits, s::ParseClassify, [&](const s::ClassifyCall& c) {
        Require(!c.texts.empty());
        RequireWithinLimit(c.texts, limits);
      });
      break;
    case 1:
      FuzzParser<s::ChatCall>(body, limits, s::ParseChat, [&](const s::ChatCall& c) {
        Require(!c.text.empty() && static_cast<int64_t>(c.text.size()) <= limits.max_input_bytes);
      });
      break;
    case 3:
      FuzzParser<s::LitellmGuardrailCall>(
          body, limits, s::ParseLitellmGuardrail, [&](const s::LitellmGuardrailCall& c) {
            Require(static_cast<int64_t>(c.texts.size()) <= limits.max_inputs);
            RequireWithinLimit(c.texts, limits);
          });
      break;
    case 4:
      FuzzParser<s::PromptTexts>(body, limits, s::ExtractPromptTexts, [&](const s::PromptTexts& p) {
        Require(p.found || p.texts.empty());
        RequireWithinLimit(p.texts, limits);
      });
      break;
    case 5:
      FuzzParser<s::PortkeyWebhookCall>(
          body, limits, s::ParsePortkeyWebhook, [&](const s::PortkeyWebhookCall& c) {
            Require(!c.after_request || c.texts.empty());
            RequireWithinLimit(c.texts, limits);
          });
      break;
    case 6:
    case 7:
    case 8: {
      const auto route = data[0] % 9 == 6   ? px::ProxyRoute::kChat
                         : data[0] % 9 == 7 ? px::ProxyRoute::kCompletions
                                            : px::ProxyRoute::kResponses;
      for (px::ClassifyTurns turns : {px::ClassifyTurns::kLast, px::ClassifyTurns::kAll}) {
        px::ProxyPrompt p;
        const std::optional<s::ApiError> e = px::ExtractProxyPrompt(body, route, turns, limits, &p);
        CheckError(e);
        if (e) continue;
        Require(static_cast<int64_t>(p.texts.size()) <= limits.max_inputs);
        RequireWithinLimit(p.texts, limits);
        for (const std::string& t : p.texts) Require(t.find_first_not_of(" \t\r\n\f\v") != std::string::npos);
      }
      break;
    }
    default:
      FuzzParser<s::ModerationCall>(body, limits, s::ParseModeration,
                                    [&](const s::ModerationCall& c) { RequireWithinLimit(c.texts, limits); });
      break;
  }
  return 0;
}
