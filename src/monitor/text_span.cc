// PythonStripBounds and code point offsets.
#include "monitor/text_span.h"

#include "core/check.h"
#include "core/utf8.h"

namespace haloguard::monitor {
namespace {

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Start of the code point that ends at byte `end` (exclusive); end > 0.
size_t PreviousCodepoint(std::string_view text, size_t end) {
  size_t b = end - 1;
  while (b > 0 && IsContinuation(text[b])) --b;
  return b;
}

}  // namespace

bool IsPythonSpace(uint32_t cp) {
  if (cp >= 0x09 && cp <= 0x0D) return true;
  if (cp >= 0x1C && cp <= 0x20) return true;
  if (cp == 0x85 || cp == 0xA0 || cp == 0x1680) return true;
  if (cp >= 0x2000 && cp <= 0x200A) return true;
  return cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::pair<size_t, size_t> PythonStripBounds(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t next = begin;
    if (!IsPythonSpace(DecodeUtf8(text, next))) break;
    begin = next;
  }
  size_t end = text.size();
  while (end > begin) {
    const size_t start = PreviousCodepoint(text, end);
    size_t i = start;
    if (!IsPythonSpace(DecodeUtf8(text, i))) break;
    end = start;
  }
  return {begin, end};
}

size_t RoundDownToCodepoint(std::string_view text, size_t b) {
  HG_CHECK(b <= text.size()) << b << " > " << text.size();
  while (b > 0 && b < text.size() && IsContinuation(text[b])) --b;
  return b;
}

size_t RoundUpToCodepoint(std::string_view text, size_t b) {
  HG_CHECK(b <= text.size()) << b << " > " << text.size();
  while (b < text.size() && IsContinuation(text[b])) ++b;
  return b;
}

int64_t CodepointCounter::At(size_t b) {
  HG_CHECK(b >= pos_ && b <= text_.size())
      << "offset " << b << " not in [" << pos_ << ", " << text_.size() << "]";
  for (; pos_ < b; ++pos_) count_ += IsContinuation(text_[pos_]) ? 0 : 1;
  return count_;
}

}  // namespace haloguard::monitor
