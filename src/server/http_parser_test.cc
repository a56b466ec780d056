// HttpParser unit tests: valid framing (length, chunked, pipelining), every error status, and
// split-invariance (the same bytes fed whole or one at a time give the same outcome).
#include "server/http_parser.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace haloguard::server {
namespace {

using namespace std::string_literals;

struct Outcome {
  HttpParser::State state;
  int status;
  std::string body;
  size_t consumed;
};

Outcome FeedWhole(std::string_view in, HttpLimits limits = {}) {
  HttpParser p(limits);
  size_t used = p.Feed(in);
  return {p.state(), p.error_status(), p.request().body, used};
}

Outcome FeedBytewise(std::string_view in, HttpLimits limits = {}) {
  HttpParser p(limits);
  size_t used = 0;
  for (size_t i = 0; i < in.size() && p.state() == HttpParser::State::kNeedMore; ++i) {
    used += p.Feed(in.substr(i, 1));
  }
  return {p.state(), p.error_status(), p.request().body, used};
}

TEST(HttpParser, SimpleGet) {
  HttpParser p({});
  std::string in = "GET /v1/models?x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  v  \r\n\r\n";
  EXPECT_EQ(p.Feed(in), in.size());
  ASSERT_EQ(p.state(), HttpParser::State::kComplete);
  HttpRequest r = p.TakeRequest();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/v1/models?x=1");
  EXPECT_EQ(r.path, "/v1/models");
  ASSERT_NE(r.Header("x-thing"), nullptr);
  EXPECT_EQ(*r.Header("x-thing"), "v");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(p.state(), HttpParser::State::kNeedMore);
  EXPECT_FALSE(p.started());
}

TEST(HttpParser, ContentLengthBodyAndPipelining) {
  const std::string a = "POST /v1/classify HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  const std::string b = "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  HttpParser p({});
  std::string buf = a + b;
  size_t used = p.Feed(buf);
  EXPECT_EQ(used, a.size());  // stops at the end of the first request
  HttpRequest r1 = p.TakeRequest();
  EXPECT_EQ(r1.body, "hello");
  buf.erase(0, used);
  EXPECT_EQ(p.Feed(buf), b.size());
  HttpRequest r2 = p.TakeRequest();
  EXPECT_EQ(r2.path, "/healthz");
  EXPECT_FALSE(r2.keep_alive);
}

TEST(HttpParser, ChunkedWithExtensionsAndTrailers) {
  const std::string in =
      "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "5;name=val\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (auto feed : {FeedWhole, FeedBytewise}) {
    Outcome o = feed(in, {});
    EXPECT_EQ(o.state, HttpParser::State::kComplete);
    EXPECT_EQ(o.body, "hello world");
    EXPECT_EQ(o.consumed, in.size());
  }
}

TEST(HttpParser, KeepAliveRulesAndLeniencies) {
  auto parse = [](const std::string& in) {
    HttpParser p({});
    p.Feed(in);
    EXPECT_EQ(p.state(), HttpParser::State::kComplete) << in;
    return p.TakeRequest();
  };
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n").keep_alive);
  EXPECT_EQ(parse("\r\n\r\nGET /a HTTP/1.1\r\nHost: a\r\n\r\n").path, "/a");  // leading CRLFs
  EXPECT_EQ(parse("GET /lf HTTP/1.1\nHost: a\n\n").path, "/lf");              // bare LF endings
  EXPECT_TRUE(
      parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")
          .expect_continue);
}

struct BadCase {
  const char* name;
  std::string input;
  int status;
};

TEST(HttpParser, ErrorStatuses) {
  HttpLimits small;
  small.max_request_line = 64;
  small.max_header_bytes = 256;
  small.max_headers = 4;
  small.max_body_bytes = 16;
  const std::string h = "POST / HTTP/1.1\r\nHost: a\r\n";
  const std::vector<BadCase> cases = {
      {"no host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"http2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"bad version", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400},
      {"absolute form", "GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"no target", "GET HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"control in target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"s, 400},
      {"long target", "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n", 414},
      {"too many headers", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n",
       431},
      {"header bytes", "GET / HTTP/1.1\r\nHost: a\r\nA: " + std::string(300, 'x') + "\r\n\r\n",
       431},
      {"no colon", "GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
      {"obs fold", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n  2\r\n\r\n", 400},
      {"bare CR", "GET / HTTP/1.1\r\nHost: a\rB: 1\r\n\r\n", 400},
      {"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nA: x\0y\r\n\r\n"s, 400},
      {"CL and TE", h + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE gzip", h + "Transfer-Encoding: gzip\r\n\r\n", 501},
      {"TE gzip,chunked", h + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"CL letters", h + "Content-Length: abc\r\n\r\n", 400},
      {"CL negative", h + "Content-Length: -1\r\n\r\n", 400},
      {"CL huge", h + "Content-Length: 99999999999999999999999\r\n\r\n", 400},
      {"CL conflict", h + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"CL over limit", h + "Content-Length: 17\r\n\r\n", 413},
      {"chunk over limit", h + "Transfer-Encoding: chunked\r\n\r\n11\r\n", 413},
      {"chunks sum over limit", h + "Transfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n9\r\n",
       413},
      {"chunk size overflow", h + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 413},
      {"chunk size not hex", h + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"chunk data too long", h + "Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400},
      {"chunk line junk", h + "Transfer-Encoding: chunked\r\n\r\n2 x\r\n", 400},
      {"gzip body", h + "Content-Encoding: gzip\r\nContent-Length: 1\r\n\r\n", 415},
      {"expect other", h + "Expect: 200-ok\r\n\r\n", 417},
      // Issue 13: framing headers whose value is empty still count as present.
      {"empty TE beside CL", h + "Transfer-Encoding:\r\nContent-Length: 3\r\n\r\nabc", 400},
      {"comma TE beside CL", h + "Transfer-Encoding: ,\r\nContent-Length: 3\r\n\r\nabc", 400},
      {"empty TE alone", h + "Transfer-Encoding: \r\n\r\n", 400},
      {"empty CL", h + "Content-Length:\r\n\r\n", 400},
      {"comma CL", h + "Content-Length: ,\r\n\r\n", 400},
      {"padded chunk over limit",
       h + "Transfer-Encoding: chunked\r\n\r\n" + std::string(30, '0') + "11\r\n", 413},
  };
  for (const BadCase& c : cases) {
    for (auto feed : {FeedWhole, FeedBytewise}) {
      Outcome o = feed(c.input, small);
      EXPECT_EQ(o.state, HttpParser::State::kError) << c.name;
      EXPECT_EQ(o.status, c.status) << c.name;
    }
  }
}

TEST(HttpParser, ErrorMessagesSayWhatWasExpected) {
  HttpParser p({});
  p.Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n");
  EXPECT_EQ(p.error_status(), 413);
  EXPECT_NE(p.error_message().find("exceeds the limit of 1048576 bytes"), std::string::npos)
      << p.error_message();
}

TEST(HttpParser, PathBodyLimitsOverrideTheDefault) {
  HttpLimits limits;
  limits.max_body_bytes = 8;
  limits.path_body_limits = {{"/big", 32}};
  const auto post = [&](const std::string& path, size_t n, bool chunked) {
    HttpParser p(limits);
    const std::string body(n, 'x');
    char size[16];
    std::snprintf(size, sizeof(size), "%zx", n);
    p.Feed("POST " + path + " HTTP/1.1\r\nHost: a\r\n" +
           (chunked ? "Transfer-Encoding: chunked\r\n\r\n" + std::string(size) + "\r\n" + body +
                          "\r\n0\r\n\r\n"
                    : "Content-Length: " + std::to_string(n) + "\r\n\r\n" + body));
    return p.state() == HttpParser::State::kError ? p.error_status() : 200;
  };
  for (bool chunked : {false, true}) {
    EXPECT_EQ(post("/big", 32, chunked), 200) << chunked;
    EXPECT_EQ(post("/big", 33, chunked), 413) << chunked;
    EXPECT_EQ(post("/small", 8, chunked), 200) << chunked;
    EXPECT_EQ(post("/small", 9, chunked), 413) << chunked;
    EXPECT_EQ(post("/big/x", 9, chunked), 413) << chunked;  // exact paths only
  }
}

// Split invariance on valid inputs at every split point: Feed(a) then Feed(b) == Feed(a+b).
TEST(HttpParser, EverySplitPointGivesTheSameRequest) {
  const std::string in =
      "POST /v1/classify HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\n{\"q\r\n4\r\n\": 1\r\n1\r\n}\r\n0\r\n\r\n";
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    HttpParser p({});
    size_t used = p.Feed(std::string_view(in).substr(0, cut));
    used += p.Feed(std::string_view(in).substr(used));
    ASSERT_EQ(p.state(), HttpParser::State::kComplete) << cut;
    EXPECT_EQ(used, in.size());
    EXPECT_EQ(p.request().body, "{\"q\": 1}") << cut;
  }
}

// Issue 13: a chunk size is its value, however many leading zeros spell it.
TEST(HttpParser, ChunkSizeWithLeadingZerosIsParsedByValue) {
  const std::string in = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
                         std::string(40, '0') + "3\r\nabc\r\n" + std::string(20, '0') +
                         "\r\n\r\n";
  for (auto feed : {FeedWhole, FeedBytewise}) {
    Outcome o = feed(in, {});
    EXPECT_EQ(o.state, HttpParser::State::kComplete) << o.status;
  }
}

// The server authenticates between the header section and the body (issue 13).
TEST(HttpParser, StopAfterHeadersPausesBeforeTheBody) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
  HttpParser p({});
  p.set_stop_after_headers(true);
  const std::string in = head + "hello";
  size_t used = p.Feed(in);
  EXPECT_EQ(used, head.size());
  EXPECT_TRUE(p.headers_done());
  EXPECT_EQ(p.state(), HttpParser::State::kNeedMore);
  EXPECT_EQ(p.body_bytes_expected(), 5u);
  used += p.Feed(std::string_view(in).substr(used));
  EXPECT_EQ(used, in.size());
  ASSERT_EQ(p.state(), HttpParser::State::kComplete);
  EXPECT_EQ(p.TakeRequest().body, "hello");
  // A request without a body is not paused.
  EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 27u);
  EXPECT_EQ(p.state(), HttpParser::State::kComplete);
}

TEST(HttpParser, IncompleteInputWaits) {
  HttpParser p({});
  EXPECT_FALSE(p.started());
  p.Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(p.state(), HttpParser::State::kNeedMore);
  EXPECT_TRUE(p.started());
  EXPECT_TRUE(p.headers_done());
}

}  // namespace
}  // namespace haloguard::server
