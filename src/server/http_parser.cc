// HttpParser: a byte-at-a-time-safe state machine over request line, headers, body and chunked
// framing. Strict where leniency enables request smuggling (CL+TE, duplicate lengths, obs-fold).
#include "server/http_parser.h"

#include <algorithm>
#include <cstring>

namespace haloguard::server {
namespace {

constexpr size_t kMaxChunkLine = 1024;  // "1a2b;ext=..." lines; extensions are ignored

bool IsTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTchar); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Comma-separated list elements, trimmed and lower-cased, empty elements dropped.
std::vector<std::string> ListTokens(std::string_view v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string_view::npos) comma = v.size();
    std::string_view item = Trim(v.substr(start, comma - start));
    if (!item.empty()) out.push_back(Lower(item));
    start = comma + 1;
  }
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string* HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return &v;
  return nullptr;
}

void HttpParser::Fail(int status, std::string message) {
  state_ = State::kError;
  error_status_ = status;
  error_message_ = std::move(message);
}

size_t HttpParser::BodyLimit() const {
  for (const auto& [path, limit] : limits_.path_body_limits) {
    if (req_.path == path) return limit;
  }
  return limits_.max_body_bytes;
}

void HttpParser::Finish() {
  phase_ = Phase::kDone;
  state_ = State::kComplete;
}

bool HttpParser::ReadLine(std::string_view data, size_t& pos, size_t limit, int over_status) {
  const bool in_header =
      phase_ == Phase::kRequestLine || phase_ == Phase::kHeaders || phase_ == Phase::kTrailers;
  size_t nl = data.find('\n', pos);
  size_t end = nl == std::string_view::npos ? data.size() : nl;
  size_t take = end - pos;
  header_bytes_ += in_header ? take + (nl != std::string_view::npos) : 0;
  if (line_.size() + take > limit) {
    Fail(over_status, "line longer than " + std::to_string(limit) + " bytes");
    return false;
  }
  if (in_header && header_bytes_ > limits_.max_header_bytes) {
    Fail(431, "request header section longer than " + std::to_string(limits_.max_header_bytes) +
                  " bytes");
    return false;
  }
  line_.append(data.substr(pos, take));
  pos = end;
  if (nl == std::string_view::npos) return false;
  ++pos;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (line_.find('\r') != std::string::npos) {
    Fail(400, "bare CR in line; expected CRLF line endings");
    return false;
  }
  return true;
}

void HttpParser::OnRequestLine() {
  const size_t sp1 = line_.find(' ');
  const size_t sp2 = line_.rfind(' ');
  if (sp1 == std::string::npos || sp1 == sp2) {
    Fail(400, "malformed request line; expected 'METHOD /path HTTP/1.1'");
    return;
  }
  std::string_view line(line_);
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Fail(400, "malformed method; expected a token");
  if (target.empty() || target[0] != '/' ||
      !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return Fail(400, "malformed request target; expected an origin-form path like /v1/classify");
  }
  if (version == "HTTP/1.1" || version == "HTTP/1.0") {
    req_.version_minor = version.back() - '0';
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && IsDigit(version[5]) &&
             version[6] == '.' && IsDigit(version[7])) {
    return Fail(505, "HTTP version not supported; expected HTTP/1.0 or HTTP/1.1, got " +
                         std::string(version));
  } else {
    return Fail(400, "malformed HTTP version; expected HTTP/1.1");
  }
  req_.method = method;
  req_.target = target;
  req_.path = target.substr(0, target.find('?'));
  phase_ = Phase::kHeaders;
}

void HttpParser::OnHeaderLine(bool trailer) {
  if (line_.empty()) {
    if (trailer)
      Finish();
    else
      OnHeadersDone();
    return;
  }
  if (line_[0] == ' ' || line_[0] == '\t') {
    return Fail(400, "obsolete header line folding is not accepted");
  }
  const size_t colon = line_.find(':');
  if (colon == std::string::npos || !IsToken(std::string_view(line_).substr(0, colon))) {
    return Fail(400, "malformed header field; expected 'name: value'");
  }
  std::string_view value = Trim(std::string_view(line_).substr(colon + 1));
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) {
      return Fail(400, "control character in header value");
    }
  }
  if (++num_headers_ > limits_.max_headers) {
    return Fail(431, "more than " + std::to_string(limits_.max_headers) + " header fields");
  }
  if (!trailer) req_.headers.emplace_back(Lower(std::string_view(line_).substr(0, colon)), value);
}

void HttpParser::OnHeadersDone() {
  std::vector<std::string> te, cl, connection;
  int hosts = 0;
  bool has_te = false, has_cl = false;  // header present, even with an empty value
  for (const auto& [k, v] : req_.headers) {
    if (k == "transfer-encoding") {
      has_te = true;
      for (auto& t : ListTokens(v)) te.push_back(t);
    } else if (k == "content-length") {
      has_cl = true;
      for (auto& t : ListTokens(v)) cl.push_back(t);
    }
    else if (k == "connection")
      for (auto& t : ListTokens(v)) connection.push_back(t);
    else if (k == "host")
      ++hosts;
  }
  const bool http11 = req_.version_minor == 1;
  const auto has = [&](const char* tok) {
    return std::find(connection.begin(), connection.end(), tok) != connection.end();
  };
  req_.keep_alive = http11 ? !has("close") : has("keep-alive");
  if (http11 && hosts != 1) {
    return Fail(400, "expected exactly one Host header, got " + std::to_string(hosts));
  }
  if (const std::string* ce = req_.Header("content-encoding");
      ce != nullptr && Lower(Trim(*ce)) != "identity") {
    return Fail(415, "Content-Encoding '" + *ce + "' is not accepted; send an identity body");
  }
  if (const std::string* ex = req_.Header("expect"); ex != nullptr) {
    if (Lower(Trim(*ex)) != "100-continue") return Fail(417, "unsupported Expect: " + *ex);
    req_.expect_continue = http11;
  }
  if (has_te) {
    if (has_cl) return Fail(400, "both Transfer-Encoding and Content-Length are present");
    if (!http11) return Fail(400, "Transfer-Encoding is not allowed in HTTP/1.0");
    if (te.empty()) return Fail(400, "empty Transfer-Encoding; expected 'chunked'");
    if (te.size() != 1 || te[0] != "chunked") {
      return Fail(501, "unsupported Transfer-Encoding; expected 'chunked'");
    }
    phase_ = Phase::kChunkSize;
    return;
  }
  if (!has_cl) return Finish();
  if (cl.empty()) return Fail(400, "empty Content-Length; expected a decimal byte count");
  for (const std::string& v : cl) {
    if (v != cl[0]) return Fail(400, "conflicting Content-Length values");
  }
  if (cl[0].size() > 19 || !std::all_of(cl[0].begin(), cl[0].end(), IsDigit)) {
    return Fail(400,
                "malformed Content-Length; expected a decimal byte count, got '" + cl[0] + "'");
  }
  remaining_ = std::stoull(cl[0]);
  if (remaining_ > BodyLimit()) {
    return Fail(413, "request body of " + cl[0] + " bytes exceeds the limit of " +
                         std::to_string(BodyLimit()) + " bytes");
  }
  if (remaining_ == 0) return Finish();
  phase_ = Phase::kBody;
}

void HttpParser::OnChunkSize() {
  size_t i = 0;
  uint64_t size = 0;
  // The value is bounded, not the digit count: "000000000000000001a" is 26 bytes. Any value
  // over the body limit is a 413 however it is spelled, so 2^60 caps the arithmetic.
  constexpr uint64_t kMaxChunkValue = uint64_t{1} << 60;
  for (; i < line_.size() && HexValue(line_[i]) >= 0; ++i) {
    size = size * 16 + static_cast<uint64_t>(HexValue(line_[i]));
    if (size > kMaxChunkValue) return Fail(413, "chunk size too large");
  }
  if (i == 0) return Fail(400, "malformed chunk size; expected hexadecimal digits");
  while (i < line_.size() && (line_[i] == ' ' || line_[i] == '\t')) ++i;
  if (i < line_.size() && line_[i] != ';') {
    return Fail(400, "malformed chunk size line; expected hex digits and optional ';ext'");
  }
  for (; i < line_.size(); ++i) {
    if (static_cast<unsigned char>(line_[i]) < 0x20 && line_[i] != '\t') {
      return Fail(400, "control character in chunk extension");
    }
  }
  if (size == 0) {
    phase_ = Phase::kTrailers;
    return;
  }
  if (req_.body.size() + size > BodyLimit()) {
    return Fail(
        413, "chunked request body exceeds the limit of " + std::to_string(BodyLimit()) + " bytes");
  }
  remaining_ = size;
  phase_ = Phase::kChunkData;
}

size_t HttpParser::Feed(std::string_view data) {
  size_t pos = 0;
  while (pos < data.size() && state_ == State::kNeedMore) {
    started_ = true;
    switch (phase_) {
      case Phase::kRequestLine:
        if (!ReadLine(data, pos, limits_.max_request_line, 414)) break;
        if (!line_.empty()) OnRequestLine();  // empty lines before a request are ignored
        line_.clear();
        break;
      case Phase::kHeaders:
      case Phase::kTrailers:
        if (!ReadLine(data, pos, limits_.max_header_bytes, 431)) break;
        OnHeaderLine(phase_ == Phase::kTrailers);
        line_.clear();
        if (stop_after_headers_ && headers_done() && !body_started_ && state_ == State::kNeedMore) {
          body_started_ = true;
          return pos;  // the caller looks at the headers before any body byte is consumed
        }
        break;
      case Phase::kBody:
      case Phase::kChunkData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - pos));
        req_.body.append(data.substr(pos, n));
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          if (phase_ == Phase::kBody)
            Finish();
          else
            phase_ = Phase::kChunkEnd;
        }
        break;
      }
      case Phase::kChunkSize:
        if (!ReadLine(data, pos, kMaxChunkLine, 400)) break;
        OnChunkSize();
        line_.clear();
        break;
      case Phase::kChunkEnd:
        if (!ReadLine(data, pos, 1, 400)) break;  // only the CR of CRLF may precede LF
        if (!line_.empty())
          Fail(400, "chunk data longer than its declared size");
        else
          phase_ = Phase::kChunkSize;
        line_.clear();
        break;
      case Phase::kDone:
        return pos;
    }
  }
  return pos;
}

HttpRequest HttpParser::TakeRequest() {
  HttpRequest out = std::move(req_);
  Reset();
  return out;
}

void HttpParser::Reset() {
  state_ = State::kNeedMore;
  phase_ = Phase::kRequestLine;
  started_ = false;
  line_.clear();
  header_bytes_ = 0;
  num_headers_ = 0;
  remaining_ = 0;
  body_started_ = false;
  req_ = HttpRequest();
  error_status_ = 0;
  error_message_.clear();
}

}  // namespace haloguard::server
