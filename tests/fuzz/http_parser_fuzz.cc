// libFuzzer target: server::HttpParser on arbitrary bytes, fed in pieces split where the input
// says (as a socket would deliver them), with the server's stop-after-headers pause on, and
// pipelined requests taken one after another. Checks the parser's own invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/http_parser.h"

using haloguard::server::HttpLimits;
using haloguard::server::HttpParser;

namespace {

void Require(bool ok) {
  if (!ok) std::abort();  // an invariant broke: libFuzzer reports the input
}

}  // namespace

// Input: byte 0 picks the piece size (1..256), the rest is the byte stream of one connection.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  HttpLimits limits;
  limits.max_body_bytes = 1 << 16;  // small, so size limits are reached too
  HttpParser p(limits);
  p.set_stop_after_headers(true);
  std::string_view pending;
  for (int rounds = 0; rounds < 100000 && (!rest.empty() || !pending.empty()); ++rounds) {
    if (pending.empty()) {
      const size_t n = std::min(piece, rest.size());
      pending = rest.substr(0, n);
      rest.remove_prefix(n);
    }
    const size_t used = p.Feed(pending);
    Require(used <= pending.size());
    pending.remove_prefix(used);
    switch (p.state()) {
      case HttpParser::State::kError:
        Require(p.error_status() >= 400 && p.error_status() < 600 && !p.error_message().empty());
        return 0;  // the server closes the connection here
      case HttpParser::State::kComplete: {
        const auto req = p.TakeRequest();
        Require(req.body.size() <= limits.max_body_bytes);
        Require(!req.method.empty());
        break;
      }
      case HttpParser::State::kNeedMore:
        // Either it took bytes, paused after headers, or wants more than this piece.
        if (used == 0 && !pending.empty()) Require(p.headers_done());
        break;
    }
  }
  return 0;
}
