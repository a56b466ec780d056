// Single-thread tokenizer throughput, for `haloguard bench` and tools: encodes a corpus repeatedly
// for at least `min_seconds` and reports MB/s and tokens/s, with the per-thread word cache warm
// (steady state of a long-lived worker) and cold (every pass on a fresh thread). Not a test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace haloguard::tokenizer {

struct BenchResult {
  double mb_per_s = 0;       // warm cache: input bytes (10^6) encoded per second
  double tokens_per_s = 0;   // warm cache: output tokens per second
  double cold_mb_per_s = 0;  // empty word cache at the start of every pass
  int64_t bytes = 0;         // warm: bytes encoded over all passes
  int64_t tokens = 0;        // warm: tokens produced over all passes
  int passes = 0;            // warm: full passes over the corpus
  double seconds = 0;        // warm: wall time of the timed passes
};

// Encodes every string of `corpus` in order, one thread at a time: after one untimed warm-up
// pass, whole warm passes on the calling thread for min_seconds / 2, then whole cold passes (each
// on a new thread) for min_seconds / 2; at least one of each. Strings that fail to encode
// (ill-formed UTF-8) count their bytes but no tokens.
BenchResult BenchTokenizer(const Tokenizer& tokenizer, const std::vector<std::string>& corpus,
                           double min_seconds);

}  // namespace haloguard::tokenizer
