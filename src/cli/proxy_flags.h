// Guard proxy mode flags (`serve --upstream URL ...`), declared once for `haloguard serve` and
// the fake-classifier test server, mapped onto server::proxy::ProxyOptions.
#pragma once

#include <algorithm>
#include <string>

#include "cli/flags.h"
#include "core/mapped_file.h"
#include "server/proxy/proxy_options.h"

namespace haloguard::cli {

struct ProxyFlags {
  server::proxy::ProxyOptions options;
  std::string auth = "auto", block_response = "error", classify_turns = "last", api_key_file;
  int64_t max_connections = 64;
};

inline void AddProxyFlags(FlagSet& f, ProxyFlags* p) {
  server::proxy::ProxyOptions& o = p->options;
  f.String("upstream", &o.upstream.base_url,
           "guard proxy mode: OpenAI-compatible base URL to forward judged requests to "
           "(e.g. http://127.0.0.1:8001/v1); serves /v1/chat/completions, /v1/completions, "
           "/v1/responses (docs/INTEGRATIONS.md)");
  f.String("upstream-auth", &p->auth,
           "credential sent upstream: passthrough (the client's Authorization), key "
           "(--upstream-api-key), none; auto = key when a key is given, else passthrough");
  f.String("upstream-api-key", &o.api_key, "the upstream's API key (sent as Bearer)");
  f.String("upstream-api-key-file", &p->api_key_file,
           "file whose first line is the upstream's API key (keeps it out of ps and env)");
  f.Int("upstream-timeout-ms", &o.upstream.timeout_ms,
        "longest wait for the upstream's response head (504), then longest silence mid-stream");
  f.Int("upstream-connect-timeout-ms", &o.upstream.connect_timeout_ms,
        "longest wait for a connection to the upstream (504)");
  f.Int("upstream-max-connections", &p->max_connections,
        "open connections to the upstream (pooled); more requests wait for one");
  f.Int("upstream-max-buffered-bytes", &o.upstream.max_buffered_bytes,
        "relayed bytes held for a slow client before the upstream transfer pauses");
  f.String("block-response", &p->block_response,
           "answer to a blocked prompt: error (400, Azure OpenAI content_filter shape) or "
           "refusal (200 completion, finish_reason content_filter)");
  f.String("refusal-message", &o.refusal_message, "the refusal's text (--block-response refusal)");
  f.String("classify-turns", &p->classify_turns,
           "user turns judged: last (the last user message) or all (each one; riskiest wins)");
  f.Bool("fail-open", &o.fail_open,
         "forward a prompt the guard could not judge (overload, model error) with "
         "x-haloguard-verdict: error instead of answering 503");
}

// Flag strings -> enums and the key file read. Errors: INVALID_ARGUMENT / NOT_FOUND naming the
// flag. Range checks happen in server::proxy::ValidateProxyOptions.
inline Status FinishProxyFlags(ProxyFlags* p) {
  server::proxy::ProxyOptions& o = p->options;
  o.upstream.max_connections =
      static_cast<int>(std::clamp<int64_t>(p->max_connections, 0, 1 << 20));
  if (!p->api_key_file.empty()) {
    StatusOr<std::string> text = ReadFileToString(p->api_key_file, 64 * 1024);
    if (!text.ok()) {
      return Status(text.status().code(), "--upstream-api-key-file: " + text.status().message());
    }
    o.api_key = text->substr(0, text->find_first_of("\r\n"));
  }
  const std::string auth =
      p->auth == "auto" ? (o.api_key.empty() ? "passthrough" : "key") : p->auth;
  HG_ASSIGN_OR_RETURN(o.auth, server::proxy::ParseUpstreamAuth(auth));
  HG_ASSIGN_OR_RETURN(o.block_response, server::proxy::ParseBlockResponse(p->block_response));
  HG_ASSIGN_OR_RETURN(o.classify_turns, server::proxy::ParseClassifyTurns(p->classify_turns));
  return OkStatus();
}

}  // namespace haloguard::cli
