// A blocking loopback HTTP/1.1 client for tests: raw bytes out (so tests can send anything,
// malformed included), responses parsed with Content-Length framing. Test-only.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace haloguard::server::testing {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

class TestConnection {
 public:
  // Connects to 127.0.0.1:port, from the loopback address `from` (any of 127.0.0.0/8, so
  // tests can be several clients; "" = the kernel's choice). UNAVAILABLE on failure.
  static StatusOr<TestConnection> Connect(int port, const std::string& from = "");
  int fd() const { return fd_; }
  TestConnection(TestConnection&& o) noexcept;
  TestConnection& operator=(TestConnection&& o) noexcept;
  ~TestConnection();

  // Sends all of `bytes`; false if the peer is gone.
  bool Send(std::string_view bytes);
  // Reads the next final response (skips 1xx). DEADLINE_EXCEEDED after `timeout_ms`,
  // UNAVAILABLE if the connection closes first.
  StatusOr<ClientResponse> Read(int timeout_ms = 5000);
  // True if the server closes the connection within `timeout_ms` (reads and drops data).
  bool WaitClosed(int timeout_ms);
  void ShutdownWrite();

 private:
  explicit TestConnection(int fd) : fd_(fd) {}
  int fd_;
  std::string buf_;
};

// One request on a fresh connection: "METHOD path" with `body` and extra header lines
// ("Name: value").
StatusOr<ClientResponse> HttpRequestOnce(int port, const std::string& method,
                                         const std::string& path, const std::string& body = "",
                                         const std::vector<std::string>& headers = {},
                                         int timeout_ms = 5000);

// A loopback TCP port the OS picked as free just now (bound and released; a test server started
// on it soon after gets it unless another process races for it). 0 on failure.
int FreeLoopbackPort();

}  // namespace haloguard::server::testing
