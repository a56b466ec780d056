// UpstreamPool: the proxy's HTTP client to the upstream LLM. One thread drives a libcurl multi
// handle holding every transfer; connections are pooled and capped (more transfers wait for
// one). A response body flows into a BodyStream as curl delivers it, and the transfer pauses
// while the stream is full (backpressure from a slow client) and is cancelled when the client
// goes away. Nothing is ever retried by us (a prompt is never sent twice on purpose; see
// docs/INTEGRATIONS.md for libcurl's one reconnect case and how it is kept out).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "server/body_stream.h"
#include "server/proxy/proxy_options.h"

namespace haloguard::server::proxy {

struct UpstreamRequest {
  std::string url;                   // the full URL
  std::vector<std::string> headers;  // "Name: value" lines, sent as given
  std::string body;                  // POSTed byte for byte
  bool get = false;                  // GET without a body instead (GET /v1/models)
};

struct UpstreamHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed
  double seconds = 0;                                        // from Send() to the complete head
};

// Runs exactly once, on the pool's thread (cheap; must not block or call Send).
using HeadCallback = std::function<void(StatusOr<UpstreamHead>)>;
// Runs once on the pool's thread when a body whose head was delivered ended: OK (complete),
// CANCELLED (the client left or Stop()), DEADLINE_EXCEEDED (silent too long), else the transfer
// failure. Same rules as HeadCallback.
using EndCallback = std::function<void(const Status&)>;

class UpstreamPool {
 public:
  // Starts the thread. Errors: INTERNAL when libcurl cannot be set up.
  static StatusOr<std::unique_ptr<UpstreamPool>> Start(const UpstreamOptions& options);
  ~UpstreamPool();  // Stop()
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // POSTs (or GETs) `request`. `on_head` gets the response head as soon as it is complete, after
  // which the body flows into `body` (Finish at the end, Abort on a transfer failure or a silence
  // longer than timeout_ms); or, when no head came, an error: UNAVAILABLE (refused, reset,
  // unresolvable, closed without an answer), DEADLINE_EXCEEDED (no head within timeout_ms, or
  // no connection within connect_timeout_ms), CANCELLED (the client left, or Stop()).
  // Thread-safe.
  void Send(UpstreamRequest request, std::shared_ptr<BodyStream> body, HeadCallback on_head,
            EndCallback on_end = nullptr);

  // Cancels every transfer (heads not yet delivered get CANCELLED; bodies are aborted) and
  // joins the thread. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit UpstreamPool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace haloguard::server::proxy
