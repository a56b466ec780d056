// BenchTokenizer: whole passes over the corpus, timed with the steady clock; cold passes run on
// fresh threads so the per-thread word cache starts empty.
#include "tokenizer/bench.h"

#include <algorithm>
#include <thread>

#include "core/clock.h"

namespace haloguard::tokenizer {
namespace {

// One pass; returns the number of tokens (kept observable so the work cannot be optimized away).
int64_t EncodeAll(const Tokenizer& tokenizer, const std::vector<std::string>& corpus) {
  int64_t tokens = 0;
  for (const std::string& s : corpus) {
    auto ids = tokenizer.Encode(s);
    if (ids.ok()) tokens += static_cast<int64_t>(ids->size());
  }
  return tokens;
}

struct Timed {
  int64_t tokens = 0;
  int passes = 0;
  double seconds = 0;
};

// Runs passes until `min_seconds`; each pass on a new thread when `cold`.
Timed RunPasses(const Tokenizer& tokenizer, const std::vector<std::string>& corpus,
                double min_seconds, bool cold) {
  Timed t;
  const auto t0 = Clock::now();
  do {
    if (cold) {
      int64_t n = 0;
      std::thread([&] { n = EncodeAll(tokenizer, corpus); }).join();
      t.tokens += n;
    } else {
      t.tokens += EncodeAll(tokenizer, corpus);
    }
    ++t.passes;
    t.seconds = SecondsSince(t0);
  } while (t.seconds < min_seconds);
  return t;
}

}  // namespace

BenchResult BenchTokenizer(const Tokenizer& tokenizer, const std::vector<std::string>& corpus,
                           double min_seconds) {
  int64_t pass_bytes = 0;
  for (const std::string& s : corpus) pass_bytes += static_cast<int64_t>(s.size());
  EncodeAll(tokenizer, corpus);  // warm-up: page in tables, fill this thread's word cache
  const Timed warm = RunPasses(tokenizer, corpus, min_seconds / 2, false);
  const Timed cold = RunPasses(tokenizer, corpus, min_seconds / 2, true);
  BenchResult r;
  r.passes = warm.passes;
  r.seconds = warm.seconds;
  r.bytes = pass_bytes * warm.passes;
  r.tokens = warm.tokens;
  r.mb_per_s = static_cast<double>(r.bytes) / 1e6 / std::max(warm.seconds, 1e-9);
  r.tokens_per_s = static_cast<double>(r.tokens) / std::max(warm.seconds, 1e-9);
  r.cold_mb_per_s =
      static_cast<double>(pass_bytes) * cold.passes / 1e6 / std::max(cold.seconds, 1e-9);
  return r;
}

}  // namespace haloguard::tokenizer
