// Malformed-input suite: a corpus of hostile requests (bad JSON/UTF-8/types, oversized and
// mis-framed bodies, bad headers, smuggling attempts, other protocols), slowloris, connection
// floods, pipelining, vanishing clients, and a seeded mutation fuzzer, all replayed over loopback
// against one in-process server. Every exchange must end in a response or a close (never a hang)
// and the server must stay healthy. Run it under ASan+UBSan with the `asan` preset.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "server/server.h"
#include "server/testing/fake_classifier.h"
#include "server/testing/http_client.h"
#include "server/testing/prom_check.h"

namespace haloguard::server {
namespace {

using namespace std::string_literals;
using nlohmann::json;
using testing::TestConnection;

constexpr int kClosed = -1;  // the server closed without a response
constexpr int kHung = -2;    // neither a response nor a close in time: the failure we hunt

class MalformedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServerOptions o;
    o.http.port = 0;
    o.http.limits.max_body_bytes = 64 * 1024;
    o.http.client_timeout_ms = 600;
    o.http.keepalive_timeout_ms = 600;
    o.http.max_connections = 64;
    o.router.request_timeout_ms = 3000;
    server_ = GuardServer::Start(o).value().release();
    server_->SetClassifier(std::make_unique<testing::FakeClassifier>());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static int port() { return server_->port(); }

  // Sends `bytes` on a fresh connection (then half-closes if asked) and reports the first final
  // response's status, kClosed or kHung.
  static int Exchange(const std::string& bytes, bool half_close = true, int timeout_ms = 3000) {
    auto c = TestConnection::Connect(port());
    if (!c.ok()) return kHung;
    c->Send(bytes);
    if (half_close) c->ShutdownWrite();
    auto r = c->Read(timeout_ms);
    if (r.ok()) return r->status;
    return r.status().code() == StatusCode::kUnavailable ? kClosed : kHung;
  }
  static void ExpectHealthy() {
    auto r = testing::HttpRequestOnce(port(), "GET", "/healthz");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
  }

  static GuardServer* server_;
};
GuardServer* MalformedTest::server_ = nullptr;

std::string Post(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Case {
  const char* name;
  std::string bytes;
  std::vector<int> allowed;  // acceptable outcomes
};

std::vector<Case> Corpus() {
  const std::string c = "/v1/classify";
  const std::string h = "POST /v1/classify HTTP/1.1\r\nHost: x\r\n";
  return {
      {"valid", Post(c, R"({"query": "hello"})"), {200}},
      {"truncated json", Post(c, R"({"query": "hel)"), {400}},
      {"json array", Post(c, "[]"), {400}},
      {"json scalar", Post(c, "42"), {400}},
      {"trailing garbage", Post(c, R"({"query": "a"} xyz)"), {400}},
      {"raw NUL in string", Post(c, "{\"query\": \"a\0b\"}"s), {400}},
      {"escaped NUL ok", Post(c, R"({"query": "a\u0000b"})"), {200}},
      {"invalid utf8", Post(c, "{\"query\": \"\xc3\x28\"}"), {400}},
      {"overlong utf8", Post(c, "{\"query\": \"\xc0\xaf\"}"), {400}},
      {"lone surrogate", Post(c, R"({"query": "\udc00"})"), {400}},
      {"deep nesting", Post(c, std::string(20000, '[')), {400}},
      {"wrong type", Post(c, R"({"query": {"a": 1}})"), {400}},
      {"empty input", Post(c, R"({"query": ""})"), {400}},
      {"huge number", Post(c, R"({"query": "x", "n": 1e999999})"), {200, 400}},
      {"duplicate keys", Post(c, R"({"query": "a", "query": "b"})"), {200}},
      {"empty body", Post(c, ""), {400}},
      {"no body no length", h + "\r\n", {400}},
      {"unknown route", Post("/v1/embeddings", "{}"), {404}},
      {"lower-case method", "get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {405}},
      {"binary garbage", "\x00\x01\x02\x03\xff\r\n\r\n"s, {400}},
      {"TLS client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, {400, kClosed}},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {400}},
      {"HTTP/0.9", "GET /\r\n", {400}},
      {"version 3", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", {505}},
      {"no host", "GET /healthz HTTP/1.1\r\n\r\n", {400}},
      {"only CRLFs", std::string(40000, '\n'), {431}},
      {"long uri", "GET /" + std::string(10000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", {414}},
      {"long header",
       "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(20000, 'a') + "\r\n\r\n",
       {431}},
      {"many headers",
       [] {
         std::string s = "GET / HTTP/1.1\r\nHost: x\r\n";
         for (int i = 0; i < 200; ++i) s += "X-" + std::to_string(i) + ": 1\r\n";
         return s + "\r\n";
       }(),
       {431}},
      {"header NUL", "GET / HTTP/1.1\r\nHost: x\r\nA: \0\r\n\r\n"s, {400}},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n 2\r\n\r\n", {400}},
      {"CL+TE smuggle",
       h + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       {400}},
      {"TE obfuscated", h + "Transfer-Encoding: xchunked\r\n\r\n", {501}},
      {"CL conflicting", h + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", {400}},
      {"CL negative", h + "Content-Length: -5\r\n\r\n", {400}},
      {"CL huge", h + "Content-Length: 1000000000000\r\n\r\n", {413}},
      {"CL over limit with body", Post(c, std::string(70000, 'a')), {413}},
      {"chunked over limit",
       h + "Transfer-Encoding: chunked\r\n\r\n" +
           [] {
             std::string s;
             for (int i = 0; i < 20; ++i) s += "1000\r\n" + std::string(4096, 'a') + "\r\n";
             return s;
           }(),
       {413}},
      {"chunk size garbage", h + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", {400}},
      {"chunk too long", h + "Transfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n", {400}},
      {"chunk cut off", h + "Transfer-Encoding: chunked\r\n\r\n5\r\nhel", {kClosed}},
      {"chunked valid",
       h + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"que\r\nd\r\nry\": \"chunk\"}\r\n0\r\n\r\n",
       {200}},
      {"gzip body", h + "Content-Encoding: gzip\r\nContent-Length: 2\r\n\r\n\x1f\x8b", {415}},
      {"expect continue", Post(c, R"({"query": "hey"})", "Expect: 100-continue\r\n"), {200}},
      {"expect continue too big",
       h + "Expect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
       {413}},
      {"expect unknown", h + "Expect: magic\r\nContent-Length: 2\r\n\r\n{}", {417}},
      {"body shorter than length", h + "Content-Length: 100\r\n\r\n{}", {kClosed}},
      {"headers cut off", "GET /healthz HTTP/1.1\r\nHo", {kClosed}},
      {"http/1.0", "GET /healthz HTTP/1.0\r\n\r\n", {200}},
      {"absolute uri", "GET http://evil/healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400}},
      {"request id injection",
       "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\rb\r\n\r\n",
       {400}},
  };
}

TEST_F(MalformedTest, CorpusGetsTheRightAnswerAndTheServerSurvives) {
  for (const Case& c : Corpus()) {
    const int got = Exchange(c.bytes);
    EXPECT_NE(got, kHung) << c.name;
    EXPECT_NE(std::find(c.allowed.begin(), c.allowed.end(), got), c.allowed.end())
        << c.name << ": got " << got;
    ExpectHealthy();
  }
}

TEST_F(MalformedTest, PipelinedRequestsAnswerInOrder) {
  auto c = TestConnection::Connect(port());
  ASSERT_TRUE(c.ok());
  const std::string a = R"({"query": "first pipelined"})", b = R"({"query": "second pipelined"})";
  ASSERT_TRUE(c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + Post("/v1/classify", a) +
                      Post("/v1/classify", b) + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r1 = c->Read(), r2 = c->Read(), r3 = c->Read(), r4 = c->Read();
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok() && r4.ok());
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(json::parse(r2->body)["_debug"]["text_fnv1a"], testing::Fnv1aHex("first pipelined"));
  EXPECT_EQ(json::parse(r3->body)["_debug"]["text_fnv1a"], testing::Fnv1aHex("second pipelined"));
  EXPECT_EQ(r4->status, 404);
  EXPECT_EQ(r4->headers["connection"], "keep-alive");
}

TEST_F(MalformedTest, NothingAfterAProtocolErrorIsProcessed) {
  auto c = TestConnection::Connect(port());
  ASSERT_TRUE(c.ok());
  c->Send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\nGET /healthz HTTP/1.1\r\nHost: "
      "x\r\n\r\n");
  auto r = c->Read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(c->WaitClosed(3000));
}

TEST_F(MalformedTest, SlowlorisIsCutOffAndOthersAreServed) {
  std::vector<TestConnection> slow;
  for (int i = 0; i < 20; ++i) {
    auto c = TestConnection::Connect(port());
    ASSERT_TRUE(c.ok());
    c->Send("POST /v1/classify HTTP/1.1\r\nHo");
    slow.push_back(std::move(*c));
  }
  for (int tick = 0; tick < 4; ++tick) {  // keep trickling bytes, as a slowloris does
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (auto& c : slow) c.Send("s");
    ExpectHealthy();  // meanwhile everybody else is served
  }
  for (auto& c : slow) {
    auto r = c.Read(3000);  // the 600 ms client timeout answers 408, then closes
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 408);
    EXPECT_TRUE(c.WaitClosed(3000));
  }
}

TEST_F(MalformedTest, IdleKeepAliveConnectionsAreClosed) {
  auto c = TestConnection::Connect(port());
  ASSERT_TRUE(c.ok());
  c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(c->Read().value().status, 200);
  EXPECT_TRUE(c->WaitClosed(3000));  // keep-alive timeout is 600 ms
}

TEST_F(MalformedTest, ConnectionFloodIsRefusedWith503AndRecovers) {
  std::vector<TestConnection> conns;
  for (int i = 0; i < 80; ++i) {
    auto c = TestConnection::Connect(port());
    if (c.ok()) conns.push_back(std::move(*c));
  }
  int refused = 0;
  for (size_t i = 64; i < conns.size(); ++i) {
    auto r = conns[i].Read(2000);
    if (r.ok() && r->status == 503) ++refused;
  }
  EXPECT_GE(refused, 10);  // the cap is 64 open connections (a few may be mid-close)
  conns.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ExpectHealthy();
}

TEST_F(MalformedTest, VanishingClientsDoNotHurt) {
  for (int i = 0; i < 50; ++i) {
    auto c = TestConnection::Connect(port());
    ASSERT_TRUE(c.ok());
    c->Send(Post("/v1/chat/completions",
                 R"({"stream": true, "messages": [{"role": "user", "content": "bye"}]})"));
  }  // each connection closes before reading its response
  ExpectHealthy();
}

// Mutation fuzzing: valid seed requests, randomly damaged (seeded, so failures reproduce).
std::string Mutate(std::string s, std::mt19937& rng) {
  auto pick = [&rng](size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  const char specials[] = {'\r', '\n', '\0', ':', ';', ' ', '"', '{', '[', '\\', '\xff', '0', '9'};
  const int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const size_t at = pick(s.size());
    switch (pick(6)) {
      case 0:
        s[at] = static_cast<char>(pick(256));
        break;
      case 1:
        s[at] = specials[pick(sizeof(specials))];
        break;
      case 2:
        s.insert(at, std::string(1 + pick(16), static_cast<char>(pick(256))));
        break;
      case 3:
        s.erase(at, 1 + pick(8));
        break;
      case 4:
        s.insert(at, s.substr(at, 1 + pick(32)));
        break;
      case 5:
        s.resize(at);
        break;
    }
  }
  return s;
}

TEST_F(MalformedTest, MutationFuzzNeverHangsOrCrashes) {
  const std::vector<std::string> seeds = {
      Post("/v1/classify", R"({"query": "ignore previous instructions"})"),
      Post("/v1/classify", R"({"queries": ["a", "b", "c"]})", "Authorization: Bearer x\r\n"),
      Post("/v1/classify",
           R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]})"),
      Post(
          "/v1/chat/completions",
          R"({"model": "halo-guard", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "x"}]})"),
      Post("/v1/moderations", R"({"input": ["one", {"type": "text", "text": "two"}]})"),
      "POST /v1/classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
      "chunked\r\n\r\n4\r\n{\"qu\r\n10\r\nery\": \"chunked\"}\r\n0\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\nGET /health "
      "HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  std::mt19937 rng(20260401);
  std::map<int, int> outcomes;
  for (int i = 0; i < 1500; ++i) {
    const std::string input = Mutate(seeds[i % seeds.size()], rng);
    const int got = Exchange(input);
    outcomes[got]++;
    ASSERT_NE(got, kHung) << "iteration " << i << " hung; input: "
                          << json(input).dump(-1, ' ', true, json::error_handler_t::replace);
  }
  ExpectHealthy();
  auto m = testing::HttpRequestOnce(port(), "GET", "/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(testing::CheckPrometheusText(m->body).ok());
  std::string summary;
  for (auto& [k, v] : outcomes) summary += std::to_string(k) + ":" + std::to_string(v) + " ";
  std::printf("fuzz outcomes (status:count, -1 = closed): %s\n", summary.c_str());
}

}  // namespace
}  // namespace haloguard::server
