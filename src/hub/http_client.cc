// libcurl implementation of HttpClient: one easy handle per request, headers parsed per response.
#include "hub/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace haloguard::hub {
namespace {

constexpr size_t kErrorBodyMax = 4096;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string TrimCopy(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

void GlobalInit() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}

// State shared with libcurl's C callbacks for one transfer.
struct Transfer {
  CURL* curl = nullptr;
  HttpResponse response;
  const HeadersCallback* on_headers = nullptr;
  const BodyCallback* on_body = nullptr;
  bool headers_delivered = false;
  Status callback_status;

  bool Is2xx() const { return response.status >= 200 && response.status < 300; }

  Status DeliverHeaders() {
    if (headers_delivered || !Is2xx()) return OkStatus();
    headers_delivered = true;
    char* url = nullptr;
    curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &url);
    if (url) response.effective_url = url;
    return on_headers && *on_headers ? (*on_headers)(response) : OkStatus();
  }
};

size_t OnHeaderLine(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (e.g. after a redirect) starts
    t->response.headers.clear();
    size_t sp = line.find(' ');
    t->response.status = sp == std::string_view::npos ? 0 : std::atol(line.data() + sp + 1);
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers[Lower(TrimCopy(line.substr(0, colon)))] =
        TrimCopy(line.substr(colon + 1));
  }
  return line.size();
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (!t->Is2xx()) {
    size_t room = kErrorBodyMax - std::min(kErrorBodyMax, t->response.error_body.size());
    t->response.error_body.append(data, std::min(room, n));
    return n;
  }
  t->callback_status = t->DeliverHeaders();
  if (t->callback_status.ok() && t->on_body && *t->on_body) {
    t->callback_status = (*t->on_body)(std::string_view(data, n));
  }
  return t->callback_status.ok() ? n : 0;  // 0 makes libcurl abort with CURLE_WRITE_ERROR
}

Status CurlError(CURLcode code, const char* method, const std::string& url, const char* detail) {
  std::string msg = std::string(method) + " " + url + ": " + curl_easy_strerror(code);
  if (detail && *detail) msg += " (" + std::string(detail) + ")";
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return DeadlineExceededError(msg);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return FailedPreconditionError(msg + " (hint: check HF_ENDPOINT, proxy and CA settings)");
    default:
      return UnavailableError(msg);
  }
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  auto it = headers.find(Lower(name));
  return it == headers.end() ? "" : it->second;
}

bool IsTransient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) { GlobalInit(); }

namespace {

StatusOr<HttpResponse> Perform(const HttpClientOptions& opts, const char* method,
                               const std::string& url, const std::vector<std::string>& headers,
                               uint64_t range_start, const HeadersCallback* on_headers,
                               const BodyCallback* on_body) {
  Transfer t;
  t.curl = curl_easy_init();
  if (!t.curl) return InternalError(std::string(method) + " " + url + ": curl_easy_init failed");
  const bool is_head = std::string_view(method) == "HEAD";
  t.on_headers = on_headers;
  t.on_body = on_body;
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  char errbuf[CURL_ERROR_SIZE] = {0};
  const std::string range = std::to_string(range_start) + "-";
  CURL* c = t.curl;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_USERAGENT, opts.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opts.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, opts.stall_timeout_s);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, is_head ? 0L : 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_NOBODY, is_head ? 1L : 0L);
  if (!is_head && range_start > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeaderLine);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  CURLcode code = curl_easy_perform(c);
  if (code == CURLE_OK && !is_head) t.callback_status = t.DeliverHeaders();  // empty 2xx body
  if (code == CURLE_OK || is_head) {
    char* eff = nullptr;
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
    if (eff) t.response.effective_url = eff;
  }
  curl_easy_cleanup(c);
  curl_slist_free_all(list);
  if (!t.callback_status.ok()) return t.callback_status;
  if (code != CURLE_OK) return CurlError(code, method, url, errbuf);
  return std::move(t.response);
}

}  // namespace

StatusOr<HttpResponse> HttpClient::Head(const std::string& url,
                                        const std::vector<std::string>& headers) const {
  return Perform(options_, "HEAD", url, headers, 0, nullptr, nullptr);
}

StatusOr<HttpResponse> HttpClient::Get(const std::string& url,
                                       const std::vector<std::string>& headers,
                                       uint64_t range_start, const HeadersCallback& on_headers,
                                       const BodyCallback& on_body) const {
  return Perform(options_, "GET", url, headers, range_start, &on_headers, &on_body);
}

}  // namespace haloguard::hub
