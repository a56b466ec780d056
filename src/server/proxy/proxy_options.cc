// Proxy option parsing and validation: flag spellings and ranges, with errors naming the flag.
#include "server/proxy/proxy_options.h"

namespace haloguard::server::proxy {
namespace {

Status Expected(const std::string& flag, const std::string& expected, const std::string& got) {
  return InvalidArgumentError(flag + ": expected " + expected + ", got '" + got + "'");
}

Status AtLeast(const char* flag, int64_t value, int64_t min) {
  if (value >= min) return OkStatus();
  return InvalidArgumentError(std::string(flag) + ": expected >= " + std::to_string(min) +
                              ", got " + std::to_string(value));
}

}  // namespace

StatusOr<UpstreamAuth> ParseUpstreamAuth(const std::string& s) {
  if (s == "passthrough") return UpstreamAuth::kPassthrough;
  if (s == "key") return UpstreamAuth::kKey;
  if (s == "none") return UpstreamAuth::kNone;
  return Expected("--upstream-auth", "passthrough, key or none", s);
}

StatusOr<BlockResponse> ParseBlockResponse(const std::string& s) {
  if (s == "error") return BlockResponse::kError;
  if (s == "refusal") return BlockResponse::kRefusal;
  return Expected("--block-response", "error or refusal", s);
}

StatusOr<ClassifyTurns> ParseClassifyTurns(const std::string& s) {
  if (s == "last") return ClassifyTurns::kLast;
  if (s == "all") return ClassifyTurns::kAll;
  return Expected("--classify-turns", "last or all", s);
}

Status ValidateProxyOptions(ProxyOptions* o) {
  std::string& url = o->upstream.base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Expected("--upstream", "an http:// or https:// base URL (e.g. http://127.0.0.1:8001/v1)",
                    url);
  }
  if (url.find_first_of(" \t\r\n") != std::string::npos) {
    return Expected("--upstream", "a URL without whitespace", url);
  }
  HG_RETURN_IF_ERROR(AtLeast("--upstream-connect-timeout-ms", o->upstream.connect_timeout_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--upstream-timeout-ms", o->upstream.timeout_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--upstream-max-connections", o->upstream.max_connections, 1));
  HG_RETURN_IF_ERROR(
      AtLeast("--upstream-max-buffered-bytes", o->upstream.max_buffered_bytes, 1024));
  if (o->auth == UpstreamAuth::kKey && o->api_key.empty()) {
    return InvalidArgumentError(
        "--upstream-auth key: expected --upstream-api-key or --upstream-api-key-file, got neither");
  }
  if (o->api_key.find_first_of(" \t\r\n") != std::string::npos) {
    return InvalidArgumentError("--upstream-api-key: expected no whitespace in the key");
  }
  if (o->refusal_message.empty()) {
    return InvalidArgumentError("--refusal-message: expected a non-empty text");
  }
  return OkStatus();
}

}  // namespace haloguard::server::proxy
