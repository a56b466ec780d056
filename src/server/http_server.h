// HttpServer: a small HTTP/1.1 server (one epoll I/O thread + a handler pool) built for hostile
// clients: bounded connections, header/body/idle/write deadlines, strict framing, pipelining,
// keep-alive, lingering close. (Why not cpp-httplib 0.11.4: src/server/README.md; in short, its
// request reader has no bound on chunked or length-less bodies, header count, or decompressed
// size, and a slow client pins one of its few threads indefinitely.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "server/http_parser.h"

namespace haloguard::server {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, sent as given
  std::string body;
  bool close = false;  // close the connection after this response
};

// Completes one request. Call exactly once, from any thread; calls after the server stopped or
// the connection died are dropped. Cheap to copy.
using Responder = std::function<void(HttpResponse)>;

// Runs on a handler-pool thread, never on the I/O thread; may call `respond` inline or later.
using HttpHandler = std::function<void(HttpRequest request, Responder respond)>;

// Builds the response for a protocol error found before a handler ran (400, 408, 413, 431, ...).
// Called on the I/O thread; must be cheap and must not block.
using ProtocolErrorHandler =
    std::function<HttpResponse(int status, const std::string& message, const std::string& remote)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0 picks an ephemeral port (see HttpServer::port())
  HttpLimits limits;
  int handler_threads = 2;
  int max_connections = 512;            // beyond it: "503 too many connections", then close
  int64_t client_timeout_ms = 10000;    // a request must arrive whole within this (else 408);
                                        // a response must drain to the client within it too
  int64_t keepalive_timeout_ms = 5000;  // idle connection between requests
  int listen_backlog = 512;
};

class HttpServer {
 public:
  // Binds, listens and starts the I/O thread. Errors: UNAVAILABLE when the address can't be
  // bound (names host:port and errno text), INVALID_ARGUMENT for a host that isn't an IP literal.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                     HttpHandler handler,
                                                     ProtocolErrorHandler on_protocol_error);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;  // the bound port
  // From now on every response closes its connection and idle keep-alive connections are
  // closed; new connections are still accepted (health probes must see the 503s).
  void SetDraining();
  int64_t open_connections() const;
  int64_t active_requests() const;  // dispatched to the handler, response not fully written
  // Closes the listener and every connection and joins all threads. Idempotent; thread-safe.
  void Stop();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "Bad Request" etc. for a status code (reason phrases of RFC 9110).
const char* HttpReason(int status);

}  // namespace haloguard::server
