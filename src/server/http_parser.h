// Incremental HTTP/1.1 request parser (RFC 9112) with hard limits on every dimension a client
// controls. Pure: bytes in, requests or an HTTP error status out; no sockets, no threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "server/client_watch.h"

namespace haloguard::server {

// Every limit is enforced while bytes arrive, so memory per connection stays bounded by
// max_header_bytes + max_body_bytes whatever the client sends.
struct HttpLimits {
  size_t max_request_line = 8192;   // "METHOD target HTTP/1.1" (414 when over)
  size_t max_header_bytes = 16384;  // request line + header section + chunk trailers (431)
  size_t max_headers = 64;          // header fields, trailers included (431)
  size_t max_body_bytes = 1 << 20;  // decoded body, Content-Length or chunked (413)
  // Request paths with their own body limit instead of max_body_bytes (exact match), e.g. the
  // monitor lane's POST /v1/monitor/jobs, whose documents are far larger than a classify body.
  std::vector<std::pair<std::string, size_t>> path_body_limits;
};

struct HttpRequest {
  std::string method;     // "GET", "POST", ... (case-sensitive, as RFC 9110 says)
  std::string target;     // request-target as sent, origin-form ("/v1/classify?x=1")
  std::string path;       // target up to '?'
  int version_minor = 1;  // HTTP/1.<version_minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed
  std::string body;                                          // decoded (chunked framing removed)
  bool keep_alive = true;
  bool expect_continue = false;

  // Filled in by the server, not the parser.
  std::string remote;            // "127.0.0.1:51234"
  Clock::time_point received{};  // when the last byte of the request arrived
  // Fires when the client closes or resets the connection while the request is handled (a
  // half-close, shutdown(SHUT_WR), counts as gone too). Null outside the server.
  std::shared_ptr<ClientWatch> client;

  // First value of header `lower_name`, or nullptr.
  const std::string* Header(std::string_view lower_name) const;
};

// Feed bytes as they arrive; the parser stops at the end of one request (pipelined bytes after
// it are left unconsumed) or at the first protocol error. Not thread-safe; one per connection.
class HttpParser {
 public:
  enum class State { kNeedMore, kComplete, kError };

  explicit HttpParser(const HttpLimits& limits) : limits_(limits) {}

  // Consumes a prefix of `data` and returns its length. After kComplete or kError it consumes
  // nothing until TakeRequest() / Reset().
  size_t Feed(std::string_view data);

  State state() const { return state_; }
  // True once any byte of the current request was seen (distinguishes idle from partial).
  bool started() const { return started_; }
  // True once the header section is parsed (the server answers "100 Continue" then).
  bool headers_done() const { return phase_ > Phase::kHeaders; }
  const HttpRequest& request() const { return req_; }
  // Body bytes this request holds or has announced: the decoded body so far plus what the
  // current Content-Length or chunk still promises. The server budgets memory with it.
  uint64_t body_bytes_expected() const { return req_.body.size() + remaining_; }
  // When on, Feed() returns right after the header section of a request that has a body, so
  // the caller can authenticate (or refuse) it before reading any body byte; the next Feed()
  // continues with the body. Off by default.
  void set_stop_after_headers(bool on) { stop_after_headers_ = on; }

  // kError only: the status to answer with (400, 413, 414, 417, 431, 501, 505) and why.
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

  // kComplete only: moves the request out and resets for the next one on the connection.
  HttpRequest TakeRequest();
  void Reset();

 private:
  enum class Phase {
    kRequestLine,
    kHeaders,
    kBody,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kDone
  };

  // Appends up to one line to line_; returns true when line_ holds a full line (no CR/LF).
  bool ReadLine(std::string_view data, size_t& pos, size_t limit, int over_status);
  void OnRequestLine();
  void OnHeaderLine(bool trailer);
  void OnHeadersDone();
  void OnChunkSize();
  void Fail(int status, std::string message);
  void Finish();
  size_t BodyLimit() const;  // for req_.path

  HttpLimits limits_;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kRequestLine;
  bool started_ = false;
  std::string line_;
  size_t header_bytes_ = 0;
  size_t num_headers_ = 0;
  uint64_t remaining_ = 0;  // body or chunk bytes still to read
  bool stop_after_headers_ = false;
  bool body_started_ = false;  // Feed already paused after this request's headers
  HttpRequest req_;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace haloguard::server
