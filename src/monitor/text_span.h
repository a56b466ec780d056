// Text offsets for the monitor lane: Python str.strip() bounds (the guard strips before it
// tokenizes) and byte -> Unicode code point offsets for the spans reported to JSON clients.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

namespace haloguard::monitor {

// [begin, end) byte bounds of `text` with leading and trailing whitespace removed exactly as
// Python's str.strip() does (every code point where str.isspace() is true: ASCII \t\n\v\f\r,
// U+001C..U+001F, space, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000). `text` must be valid UTF-8. All-whitespace text gives begin == end.
std::pair<size_t, size_t> PythonStripBounds(std::string_view text);

// True for the code points Python's str.isspace() accepts (the list above).
bool IsPythonSpace(uint32_t cp);

// Byte offset `b` moved back to the first byte of the code point containing it (b itself when
// it already starts one, or is text.size()). `text` must be valid UTF-8; b <= text.size().
size_t RoundDownToCodepoint(std::string_view text, size_t b);
// Byte offset `b` moved forward past the code point containing it (b itself when it already
// starts one). Same preconditions.
size_t RoundUpToCodepoint(std::string_view text, size_t b);

// Code point offsets for a non-decreasing sequence of byte offsets in one text, in O(total
// distance) rather than O(offset) per query (a document's window spans are monotone).
// Not thread-safe; `text` must outlive the counter.
class CodepointCounter {
 public:
  explicit CodepointCounter(std::string_view text) : text_(text) {}
  // Number of code points that start before byte offset `b` (= the code point index of `b` when
  // `b` starts a code point). Precondition: b <= text.size() and b >= the previous query.
  int64_t At(size_t b);

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int64_t count_ = 0;
};

}  // namespace haloguard::monitor
