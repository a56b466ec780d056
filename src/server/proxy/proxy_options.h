// Guard proxy mode options (`haloguard serve --upstream URL`): where the upstream LLM is, how
// the proxy authenticates to it, its timeouts and connection cap, and how blocked prompts are
// answered. Defaults and the reasons for them: docs/INTEGRATIONS.md ("Guard proxy mode").
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace haloguard::server::proxy {

enum class UpstreamAuth {
  kPassthrough,  // forward the client's Authorization (unless it holds a guard key)
  kKey,          // send "Authorization: Bearer <api_key>"; the client's is dropped
  kNone,         // send no Authorization
};
enum class BlockResponse {
  kError,    // 400 in Azure OpenAI's content-filter error shape
  kRefusal,  // 200 completion with the refusal message and finish_reason "content_filter"
};
enum class ClassifyTurns {
  kLast,  // the last user turn
  kAll,   // every user turn (riskiest wins)
};

// (The constructors make these non-aggregates: GCC 12 raises a false -Wmaybe-uninitialized on
// copies of `RouterOptions{}` temporaries holding them as aggregates.)
struct UpstreamOptions {
  UpstreamOptions() {}
  std::string base_url;  // "http://127.0.0.1:8001/v1" ("" = proxy mode off); no trailing '/'
  int64_t connect_timeout_ms = 5000;
  // The longest wait for the response head, and then the longest silence between body bytes
  // (a stream may run longer in total). Not counted while the client's backpressure paused us.
  int64_t timeout_ms = 60000;
  int max_connections = 64;  // open upstream connections; more transfers wait for one
  // Bytes of a relayed body held for a slow client before the upstream transfer pauses.
  int64_t max_buffered_bytes = 256 * 1024;
};

struct ProxyOptions {
  ProxyOptions() {}
  UpstreamOptions upstream;
  UpstreamAuth auth = UpstreamAuth::kPassthrough;
  std::string api_key;  // kKey: the upstream's key (from --upstream-api-key or its file)
  BlockResponse block_response = BlockResponse::kError;
  std::string refusal_message = "I can't help with that request.";
  ClassifyTurns classify_turns = ClassifyTurns::kLast;
  bool fail_open = false;  // a guard failure forwards (x-haloguard-verdict: error) instead of 503
  bool enabled() const { return !upstream.base_url.empty(); }
};

// The flag spellings -> enums. Errors: INVALID_ARGUMENT naming the flag, expected and got.
StatusOr<UpstreamAuth> ParseUpstreamAuth(const std::string& s);
StatusOr<BlockResponse> ParseBlockResponse(const std::string& s);
StatusOr<ClassifyTurns> ParseClassifyTurns(const std::string& s);

// Checks a proxy configuration: an http(s) base URL, positive timeouts and caps, a key for
// kKey. Trailing slashes of base_url are removed. Errors: INVALID_ARGUMENT naming the flag.
Status ValidateProxyOptions(ProxyOptions* options);

}  // namespace haloguard::server::proxy
