// HttpServer's streamed responses (HttpResponse::stream) and ClientWatch over real loopback
// sockets: chunked framing then keep-alive, HTTP/1.0 raw-until-close, Abort, a client that
// leaves mid-stream, and a client that leaves while the handler works.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "server/http_server.h"
#include "server/testing/http_client.h"

namespace haloguard::server {
namespace {

using testing::TestConnection;
using namespace std::chrono_literals;

// Reads from `fd` until `done(bytes)` or the peer closes or `ms` pass.
std::string ReadUntil(int fd, const std::function<bool(const std::string&)>& done, int ms = 5000) {
  std::string out;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  char buf[4096];
  while (!done(out) && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Removes chunked framing; "" plus a failed expectation on malformed input.
std::string Dechunk(std::string s) {
  std::string out;
  for (;;) {
    const size_t eol = s.find("\r\n");
    if (eol == std::string::npos) {
      ADD_FAILURE() << "truncated chunked body";
      return out;
    }
    const size_t n = std::stoul(s.substr(0, eol), nullptr, 16);
    if (n == 0) return out;
    out += s.substr(eol + 2, n);
    s.erase(0, eol + 2 + n + 2);
  }
}

struct StreamServer {
  // Each request gets a streamed 200 whose stream is handed to `produce` on its own thread.
  explicit StreamServer(std::function<void(std::shared_ptr<BodyStream>, HttpRequest)> produce) {
    HttpServerOptions o;
    o.port = 0;
    server = HttpServer::Start(
                 o,
                 [produce](HttpRequest req, Responder respond) {
                   auto s = std::make_shared<BodyStream>(1024);
                   HttpResponse r;
                   r.content_type = "text/event-stream";
                   r.stream = s;
                   respond(std::move(r));
                   std::thread([produce, s, req = std::move(req)]() mutable {
                     produce(s, std::move(req));
                   }).detach();
                 },
                 [](int status, const std::string& m, const std::string&) {
                   HttpResponse r;
                   r.status = status;
                   r.body = m;
                   return r;
                 })
                 .value();
  }
  std::unique_ptr<HttpServer> server;
};

const std::string kGet11 = "GET /s HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(HttpStream, ChunkedPiecesThenKeepAlive) {
  StreamServer srv([](std::shared_ptr<BodyStream> s, HttpRequest) {
    s->Write("data: 1\n\n");
    std::this_thread::sleep_for(20ms);
    s->Write("data: 2\n\n");
    s->Finish();
  });
  auto c = TestConnection::Connect(srv.server->port()).value();
  for (int round = 0; round < 2; ++round) {  // the same connection serves a second stream
    ASSERT_TRUE(c.Send(kGet11));
    const std::string raw = ReadUntil(
        c.fd(), [](const std::string& b) { return b.find("\r\n0\r\n\r\n") != std::string::npos; });
    const size_t head_end = raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << raw;
    const std::string head = raw.substr(0, head_end);
    EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
    EXPECT_NE(head.find("Connection: keep-alive"), std::string::npos) << head;
    EXPECT_EQ(Dechunk(raw.substr(head_end + 4)), "data: 1\n\ndata: 2\n\n");
  }
}

TEST(HttpStream, Http10GetsRawBytesThenClose) {
  StreamServer srv([](std::shared_ptr<BodyStream> s, HttpRequest) {
    s->Write("abc");
    s->Write("def");
    s->Finish();
  });
  auto c = TestConnection::Connect(srv.server->port()).value();
  ASSERT_TRUE(c.Send("GET /s HTTP/1.0\r\n\r\n"));
  const std::string raw = ReadUntil(
      c.fd(), [](const std::string&) { return false; }, 3000);
  const size_t head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw;
  EXPECT_EQ(raw.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(raw.find("Connection: close"), std::string::npos);
  EXPECT_EQ(raw.substr(head_end + 4), "abcdef");
}

TEST(HttpStream, AbortClosesWithoutTheLastChunk) {
  StreamServer srv([](std::shared_ptr<BodyStream> s, HttpRequest) {
    s->Write("partial");
    s->Abort();
  });
  auto c = TestConnection::Connect(srv.server->port()).value();
  ASSERT_TRUE(c.Send(kGet11));
  const std::string raw = ReadUntil(
      c.fd(), [](const std::string&) { return false; }, 3000);
  EXPECT_NE(raw.find("7\r\npartial\r\n"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("\r\n0\r\n\r\n"), std::string::npos) << raw;  // truncated, not ended
}

TEST(HttpStream, ClientLeavingMidStreamClosesTheStream) {
  std::atomic<bool> closed{false};
  StreamServer srv([&closed](std::shared_ptr<BodyStream> s, HttpRequest) {
    s->Write("first");
    for (int i = 0; i < 300 && !s->Closed(); ++i) std::this_thread::sleep_for(10ms);
    closed = s->Closed();
  });
  {
    auto c = TestConnection::Connect(srv.server->port()).value();
    ASSERT_TRUE(c.Send(kGet11));
    ReadUntil(c.fd(), [](const std::string& b) { return b.find("first") != std::string::npos; });
  }  // closes the socket
  for (int i = 0; i < 200 && !closed; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(closed);
}

TEST(HttpStream, ClientWatchFiresWhenTheClientLeavesDuringHandling) {
  std::atomic<bool> fired{false};
  HttpServerOptions o;
  o.port = 0;
  auto server = HttpServer::Start(
                    o,
                    [&fired](HttpRequest req, Responder) {  // never answers
                      ASSERT_TRUE(req.client);
                      req.client->OnGone([&fired] { fired = true; });
                    },
                    [](int status, const std::string&, const std::string&) {
                      HttpResponse r;
                      r.status = status;
                      return r;
                    })
                    .value();
  {
    auto c = TestConnection::Connect(server->port()).value();
    ASSERT_TRUE(c.Send(kGet11));
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(fired);
  }
  for (int i = 0; i < 200 && !fired; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(fired);
  server->Stop();
}

}  // namespace
}  // namespace haloguard::server
