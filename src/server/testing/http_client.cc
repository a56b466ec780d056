// TestConnection implementation over a blocking TCP socket with poll() timeouts.
#include "server/testing/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/clock.h"

namespace haloguard::server::testing {

StatusOr<TestConnection> TestConnection::Connect(int port, const std::string& from) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && !from.empty()) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    if (inet_pton(AF_INET, from.c_str(), &src.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
      ::close(fd);
      return UnavailableError("bind " + from + ": " + std::strerror(errno));
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0) ::close(fd);
    return UnavailableError(std::string("connect: ") + std::strerror(errno));
  }
  return TestConnection(fd);
}

TestConnection::TestConnection(TestConnection&& o) noexcept : fd_(o.fd_), buf_(std::move(o.buf_)) {
  o.fd_ = -1;
}

TestConnection& TestConnection::operator=(TestConnection&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    buf_ = std::move(o.buf_);
    o.fd_ = -1;
  }
  return *this;
}

TestConnection::~TestConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool TestConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void TestConnection::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

namespace {

// Reads more bytes into buf within the deadline: 1 = got data, 0 = closed, -1 = timeout/error.
int ReadMore(int fd, std::string& buf, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return -1;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return -1;
  char tmp[65536];
  const ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
  if (n < 0) return errno == ECONNRESET ? 0 : -1;
  buf.append(tmp, static_cast<size_t>(n));
  return n > 0 ? 1 : 0;
}

}  // namespace

StatusOr<ClientResponse> TestConnection::Read(int timeout_ms) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      const int r = ReadMore(fd_, buf_, deadline);
      if (r == 0) return UnavailableError("connection closed before a response");
      if (r < 0)
        return DeadlineExceededError("no response within " + std::to_string(timeout_ms) + " ms");
    }
    ClientResponse resp;
    const std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    if (head.size() < 12 || head.compare(0, 9, "HTTP/1.1 ") != 0) {
      return InvalidArgumentError("bad status line: " + head.substr(0, 40));
    }
    resp.status = std::atoi(head.c_str() + 9);
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      const size_t next = head.find("\r\n", pos + 2);
      const std::string line =
          head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        resp.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      pos = next;
    }
    if (resp.status >= 100 && resp.status < 200) continue;  // interim (100 Continue)
    const size_t len =
        resp.headers.count("content-length") ? std::stoul(resp.headers["content-length"]) : 0;
    while (buf_.size() < len) {
      const int r = ReadMore(fd_, buf_, deadline);
      if (r == 0) return UnavailableError("connection closed inside a response body");
      if (r < 0) return DeadlineExceededError("response body not complete in time");
    }
    resp.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return resp;
  }
}

bool TestConnection::WaitClosed(int timeout_ms) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const int r = ReadMore(fd_, buf_, deadline);
    if (r == 0) return true;
    if (r < 0) return false;
    buf_.clear();
  }
}

StatusOr<ClientResponse> HttpRequestOnce(int port, const std::string& method,
                                         const std::string& path, const std::string& body,
                                         const std::vector<std::string>& headers, int timeout_ms) {
  HG_ASSIGN_OR_RETURN(TestConnection c, TestConnection::Connect(port));
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (!c.Send(req)) return UnavailableError("send failed");
  return c.Read(timeout_ms);
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  close(fd);
  return ok ? ntohs(a.sin_port) : 0;
}

}  // namespace haloguard::server::testing
