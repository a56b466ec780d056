// HttpServer: a small HTTP/1.1 server (one epoll I/O thread + a handler pool) built for hostile
// clients: bounded connections, header/body/idle/write deadlines, strict framing, pipelining,
// keep-alive, lingering close. (Why not cpp-httplib 0.11.4: src/server/README.md; in short, its
// request reader has no bound on chunked or length-less bodies, header count, or decompressed
// size, and a slow client pins one of its few threads indefinitely.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "server/body_stream.h"
#include "server/http_parser.h"

namespace haloguard::server {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, sent as given
  std::string body;
  bool close = false;  // close the connection after this response
  // When set, `body` is ignored: the status line and headers go out at once and the body
  // follows from the stream as the handler writes it (Transfer-Encoding: chunked on HTTP/1.1;
  // on HTTP/1.0 raw bytes, then close). While it streams, the server watches the socket: a
  // client that closes (FIN/RST) or stops reading for client_timeout_ms with bytes pending is
  // dropped and the stream marked Closed(). A half-closed client counts as gone.
  std::shared_ptr<BodyStream> stream;
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

// Looks at a request's header section before any of its body is read (authentication), on the
// I/O thread: must be cheap and must not block. Returns the response to refuse the request
// with (the connection closes after it, unread body bytes are discarded), or nullopt to go on.
// Only called for requests that announce a body; bodyless ones reach the handler directly.
using HeaderCheck = std::function<std::optional<HttpResponse>(const HttpRequest& headers)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0 picks an ephemeral port (see HttpServer::port())
  HttpLimits limits;
  int handler_threads = 2;
  int max_connections = 512;            // beyond it: "503 too many connections", then close
  int64_t max_connections_per_client = 64;  // per client IP address (0 = no cap); beyond it 503
  int64_t client_timeout_ms = 10000;    // a request must arrive whole within this (else 408);
                                        // a response must drain to the client within it too
  int64_t keepalive_timeout_ms = 5000;  // idle connection between requests
  // A new connection must complete its first request's header section within this (408, or a
  // silent close if it sent nothing): slots held by clients that never send a request free up
  // fast. Later requests on a kept-alive connection get keepalive/client timeouts instead.
  int64_t header_timeout_ms = 3000;
  // Request body bytes held or announced (Content-Length) across all connections at once;
  // a request that would go beyond it gets 503 + Retry-After before its body is read.
  int64_t max_inflight_body_bytes = int64_t{64} << 20;
  int listen_backlog = 512;
};

class HttpServer {
 public:
  // Binds, listens and starts the I/O thread. Errors: UNAVAILABLE when the address can't be
  // bound (names host:port and errno text), INVALID_ARGUMENT for a host that isn't an IP literal.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                     HttpHandler handler,
                                                     ProtocolErrorHandler on_protocol_error,
                                                     HeaderCheck header_check = nullptr);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;  // the bound port
  // From now on every response closes its connection and idle keep-alive connections are
  // closed; new connections are still accepted (health probes must see the 503s).
  void SetDraining();
  int64_t open_connections() const;
  int64_t active_requests() const;  // dispatched to the handler, response not fully written
  int64_t inflight_body_bytes() const;  // reserved against max_inflight_body_bytes
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
