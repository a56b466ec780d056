// The one table from error kinds to HTTP: Status codes and protocol errors become an HTTP status
// plus an OpenAI-style body {"error": {"message", "type", "param", "code"}}.
#pragma once

#include <string>

#include "core/status.h"
#include "server/http_server.h"

namespace haloguard::server {

struct ApiError {
  int status = 500;     // HTTP status
  std::string type;     // "invalid_request_error", "authentication_error", "server_error", ...
  std::string code;     // machine-readable reason ("invalid_json", "queue_full", ...); "" = null
  std::string message;  // human-readable: "where: what; expected X, got Y"
  std::string param;    // offending request field ("messages", "queries[2]"); "" = null
};

// HTTP status for a Status code (INVALID_ARGUMENT 400, RESOURCE_EXHAUSTED 429, UNAVAILABLE 503,
// DEADLINE_EXCEEDED 504, ...).
int HttpStatusFor(StatusCode code);

// OpenAI error `type` for an HTTP status.
std::string ErrorTypeFor(int http_status);

// An ApiError for `status` (not OK); `code` defaults to a name derived from the HTTP status.
ApiError ApiErrorFromStatus(const Status& status, std::string code = "", std::string param = "");

// An ApiError for an HTTP-level problem (400 bad framing, 404, 408, 413, 431, ...).
ApiError HttpError(int http_status, std::string message, std::string code = "");

// Serialises the error body. Never throws; invalid UTF-8 in the message is replaced.
std::string ErrorJson(const ApiError& e);

// The full response: JSON body, plus Retry-After on 429/503 and WWW-Authenticate on 401.
HttpResponse ErrorResponse(const ApiError& e);

}  // namespace haloguard::server
