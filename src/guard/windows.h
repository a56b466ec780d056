// Sliding windows over the user text's tokens: inputs longer than the window length are split
// into overlapping windows (default 1200 tokens, stride 256), each classified on its own.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/status.h"

namespace haloguard::guard {

struct Window {
  int64_t begin = 0;  // first token (inclusive)
  int64_t end = 0;    // last token (exclusive)
};

// Windows over n tokens: one window [0, n) if n <= length; otherwise [s, min(s + length, n)) for
// s = 0, stride, 2*stride, ... up to and including the first window that reaches n (so the last
// window may be shorter than `length`, and every token is covered). n == 0 gives one empty
// window. Errors: length < 1, stride < 1, stride > length (tokens would be skipped).
StatusOr<std::vector<Window>> SplitWindows(int64_t n, int64_t length, int64_t stride);

// [begin, end) bytes of each window in the text: from its first token's begin to its last
// token's end, given each token's byte span (token_spans[i] for token i; windows index into it).
// An empty window gives {0, 0}.
std::vector<std::pair<int64_t, int64_t>> WindowByteSpans(
    std::span<const std::pair<size_t, size_t>> token_spans, std::span<const Window> windows);

}  // namespace haloguard::guard
