// Loopback mock of the Hub's resolve endpoints and LFS CDN (see mock_hub.h). Plain POSIX sockets,
// one request per connection ("Connection: close"), so faults like a dropped transfer are exact.
#include "hub/testing/mock_hub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <random>
#include <sstream>

#include "core/check.h"

namespace haloguard::hub::testing {

struct MockHub::Request {
  std::string method;
  std::string path;
  std::string proxied_host;                    // host of an absolute-form (proxy) request
  std::map<std::string, std::string> headers;  // lower-case names
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct MockHub::Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  size_t content_length = 0;   // announced length (body may be shorter: a cut transfer)
};

namespace {

std::string Digest(const EVP_MD* md, const std::string& prefix, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, prefix.data(), prefix.size());
  EVP_DigestUpdate(ctx, data.data(), data.size());
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_MD_CTX_free(ctx);
  std::ostringstream hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex << "0123456789abcdef"[out[i] >> 4] << "0123456789abcdef"[out[i] & 15];
  }
  return hex.str();
}

std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  parts.push_back(cur);
  return parts;
}

MockHub::Response Error(int status, const std::string& code, const std::string& message) {
  MockHub::Response r;
  r.status = status;
  if (!code.empty()) r.headers.push_back({"X-Error-Code", code});
  r.headers.push_back({"X-Error-Message", message});
  r.body = message;
  r.content_length = r.body.size();
  return r;
}

// "\"<s>\"" built with appends (GCC 12 warns falsely on literal + string here).
std::string Quote(const std::string& s) {
  std::string q(1, '"');
  q += s;
  q += '"';
  return q;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

std::string MockHub::Sha256Hex(const std::string& data) { return Digest(EVP_sha256(), "", data); }

std::string MockHub::GitBlobSha1Hex(const std::string& data) {
  return Digest(EVP_sha1(), "blob " + std::to_string(data.size()) + std::string(1, '\0'), data);
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

MockHub::MockHub() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  HG_CHECK(listen_fd_ >= 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  HG_CHECK(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  HG_CHECK(::listen(listen_fd_, 16) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

MockHub::~MockHub() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::string MockHub::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void MockHub::AddRepo(const std::string& repo_id, MockRepo repo) {
  std::lock_guard<std::mutex> l(mu_);
  repos_[repo_id] = std::move(repo);
}

void MockHub::AddRename(const std::string& old_id, const std::string& new_id) {
  std::lock_guard<std::mutex> l(mu_);
  renames_[old_id] = new_id;
}

void MockHub::CutNextGets(const std::string& file, int count, size_t after_bytes) {
  std::lock_guard<std::mutex> l(mu_);
  faults_[file].cut = count;
  faults_[file].cut_after = after_bytes;
}

void MockHub::CorruptNextGets(const std::string& file, int count) {
  std::lock_guard<std::mutex> l(mu_);
  faults_[file].corrupt = count;
}

void MockHub::IgnoreRangeNextGets(const std::string& file, int count) {
  std::lock_guard<std::mutex> l(mu_);
  faults_[file].ignore_range = count;
}

void MockHub::FailNextGets(const std::string& file, int count) {
  std::lock_guard<std::mutex> l(mu_);
  faults_[file].fail = count;
}

void MockHub::FailNextRequests(int count) {
  std::lock_guard<std::mutex> l(mu_);
  fail_next_ = count;
}

std::vector<RecordedRequest> MockHub::requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return log_;
}

int MockHub::Count(const std::string& method, const std::string& path_part) const {
  std::lock_guard<std::mutex> l(mu_);
  int n = 0;
  for (const auto& r : log_) n += r.method == method && r.path.find(path_part) != std::string::npos;
  return n;
}

void MockHub::ClearRequests() {
  std::lock_guard<std::mutex> l(mu_);
  log_.clear();
}

void MockHub::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Handle(fd);
    ::close(fd);
  }
}

void MockHub::Handle(int fd) {
  std::string raw;
  char buf[4096];
  while (raw.find("\r\n\r\n") == std::string::npos && raw.size() < (64 << 10)) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    raw.append(buf, static_cast<size_t>(n));
  }
  Request req;
  std::istringstream in(raw.substr(0, raw.find("\r\n\r\n")));
  std::string line;
  std::getline(in, line);
  std::istringstream first(line);
  first >> req.method >> req.path;
  // Absolute-form request line: we are being used as an HTTP proxy (RFC 9112 3.2.2).
  if (req.path.rfind("http://", 0) == 0) {
    const size_t slash = req.path.find('/', 7);
    req.proxied_host = req.path.substr(7, slash == std::string::npos ? slash : slash - 7);
    req.path = slash == std::string::npos ? "/" : req.path.substr(slash);
  }
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
  }
  Response res = Route(req);
  std::ostringstream head;
  head << "HTTP/1.1 " << res.status << " Mock\r\nConnection: close\r\n";
  for (const auto& [k, v] : res.headers) head << k << ": " << v << "\r\n";
  head << "Content-Length: " << res.content_length << "\r\n\r\n";
  SendAll(fd, head.str());
  if (req.method != "HEAD") SendAll(fd, res.body);
}

MockHub::Response MockHub::Route(const Request& req) {
  std::lock_guard<std::mutex> l(mu_);
  log_.push_back({req.method, req.path, req.Header("range"), req.Header("authorization"),
                  req.proxied_host});
  if (fail_next_ > 0) {
    --fail_next_;
    return Error(503, "", "Service Unavailable");
  }
  std::vector<std::string> parts = Split(req.path.substr(1), '/');
  if (parts.size() == 2 && parts[0] == "cdn") {  // /cdn/<sha256>
    for (const auto& [id, repo] : repos_) {
      for (const auto& [name, f] : repo.files) {
        if (f.lfs && Sha256Hex(f.content) == parts[1]) return Body(req, name, f.content);
      }
    }
    return Error(404, "", "no such object");
  }
  if (parts.size() < 5 || parts[2] != "resolve") return Error(404, "", "Not Found");
  const std::string repo_id = parts[0] + "/" + parts[1];
  std::string file = Decode(parts[4]);
  for (size_t i = 5; i < parts.size(); ++i) {
    file += '/';
    file += Decode(parts[i]);
  }
  return ResolveFile(req, repo_id, Decode(parts[3]), file);
}

MockHub::Response MockHub::ResolveFile(const Request& req, const std::string& repo_id,
                                       const std::string& rev, const std::string& file) {
  if (auto it = renames_.find(repo_id); it != renames_.end()) {
    Response r;
    r.status = 307;
    r.headers.push_back({"Location", "/" + it->second + req.path.substr(repo_id.size() + 1)});
    return r;
  }
  auto it = repos_.find(repo_id);
  if (it == repos_.end()) return Error(401, "RepoNotFound", "Repository not found");
  const MockRepo& repo = it->second;
  const std::string auth = req.Header("authorization");
  if (repo.gated && auth != "Bearer " + repo.token) {
    return auth.empty() ? Error(401, "GatedRepo", "Access to this model is restricted")
                        : Error(403, "GatedRepo", "Your token has no access to this model");
  }
  if (rev != "main" && rev != repo.commit) return Error(404, "RevisionNotFound", "Invalid rev id");
  auto f = repo.files.find(file);
  Response r;
  if (f == repo.files.end()) {
    r = Error(404, "EntryNotFound", "Entry not found");
  } else if (f->second.lfs) {
    const std::string sha = Sha256Hex(f->second.content);
    r.status = 302;
    r.headers.push_back({"Location", "http://localhost:" + std::to_string(port_) + "/cdn/" + sha});
    r.headers.push_back({"ETag", Quote(GitBlobSha1Hex("pointer " + sha))});
    r.headers.push_back({"X-Linked-Etag", Quote(sha)});
    r.headers.push_back({"X-Linked-Size", std::to_string(f->second.content.size())});
  } else {
    r = Body(req, file, f->second.content);
    r.headers.push_back({"ETag", Quote(GitBlobSha1Hex(f->second.content))});
  }
  r.headers.push_back({"X-Repo-Commit", repo.commit});
  return r;
}

MockHub::Response MockHub::Body(const Request& req, const std::string& file,
                                const std::string& content) {
  Response r;
  r.headers.push_back({"Accept-Ranges", "bytes"});
  std::string body = content;
  Faults& f = faults_[file];
  const bool is_get = req.method == "GET";
  if (is_get && f.cut == 0 && f.fail > 0) {
    --f.fail;
    return Error(503, "", "Service Unavailable");
  }
  if (is_get && f.corrupt > 0) {
    --f.corrupt;
    body[body.size() / 2] = static_cast<char>(body[body.size() / 2] ^ 0x5a);
  }
  const std::string range = req.Header("range");
  size_t start = 0;
  if (range.rfind("bytes=", 0) == 0 && !(is_get && f.ignore_range > 0)) {
    start = std::stoull(range.substr(6));
    if (start >= content.size()) {
      r.status = 416;
      r.headers.push_back({"Content-Range", "bytes */" + std::to_string(content.size())});
      return r;
    }
    r.status = 206;
    r.headers.push_back({"Content-Range", "bytes " + std::to_string(start) + "-" +
                                              std::to_string(content.size() - 1) + "/" +
                                              std::to_string(content.size())});
  } else if (is_get && f.ignore_range > 0 && !range.empty()) {
    --f.ignore_range;
  }
  r.body = body.substr(start);
  r.content_length = r.body.size();
  if (is_get && f.cut > 0) {
    --f.cut;
    r.body.resize(std::min(r.body.size(), f.cut_after));
  }
  return r;
}

}  // namespace haloguard::hub::testing
