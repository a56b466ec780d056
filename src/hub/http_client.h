// The hub module's only libcurl seam: HEAD and streaming GET with response headers, proxies from
// the environment (libcurl reads http_proxy, https_proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY), and
// transport errors mapped to Status. No Hub semantics and no retries here (see fetch.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace haloguard::hub {

struct HttpResponse {
  long status = 0;                            // HTTP status of the last response
  std::map<std::string, std::string> headers;  // of the last response; names lower-cased
  std::string effective_url;                  // URL of the last response (after redirects)
  std::string error_body;                     // first 4 KiB of a non-2xx body, for messages

  // Header value or "" (name is matched case-insensitively).
  std::string Header(std::string_view name) const;
};

// Called once per response whose body will be streamed (2xx, after redirects): may reject it.
using HeadersCallback = std::function<Status(const HttpResponse&)>;
// Called with each body chunk of a 2xx response; returning an error aborts the transfer.
using BodyCallback = std::function<Status(std::string_view chunk)>;

struct HttpClientOptions {
  std::string user_agent = "haloguard/0.1";
  long connect_timeout_s = 10;
  // Abort a transfer that moves less than 1 KiB/s for this long (a stalled CDN connection).
  long stall_timeout_s = 30;
};

// One libcurl easy handle per call; safe to use from several threads at once.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});

  // HEAD `url` with "Name: value" `headers`, never following redirects (the caller inspects 3xx).
  // Transport failures return UNAVAILABLE (DEADLINE_EXCEEDED for timeouts) with curl's message;
  // any HTTP status is a successful call.
  StatusOr<HttpResponse> Head(const std::string& url, const std::vector<std::string>& headers) const;

  // GET `url`, following redirects (libcurl drops an Authorization header when the host changes).
  // If `range_start` > 0, sends "Range: bytes=<range_start>-". For a 2xx response `on_headers`
  // then `on_body` are called; other bodies go to error_body. Transport failures as for Head, or
  // the error an callback returned.
  StatusOr<HttpResponse> Get(const std::string& url, const std::vector<std::string>& headers,
                             uint64_t range_start, const HeadersCallback& on_headers,
                             const BodyCallback& on_body) const;

 private:
  HttpClientOptions options_;
};

// True for errors worth retrying: transport failures (UNAVAILABLE, DEADLINE_EXCEEDED).
bool IsTransient(const Status& s);

}  // namespace haloguard::hub
