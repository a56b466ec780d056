// Leftmost-first alternation of the Qwen split regex, one alternative at a time, with the
// backtracking outcomes worked out by hand (see the comment on each step of MatchAt).
#include "tokenizer/pretokenize.h"

#include <cstdint>

#include "core/utf8.h"
#include "tokenizer/unicode.h"

namespace haloguard::tokenizer {
namespace {

constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen35Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// One decoded character: its code point, class bits and byte length.
struct Char {
  uint32_t cp = 0;
  uint8_t cls = 0;
  uint8_t len = 0;  // 0 = past the end of the text
};

class Matcher {
 public:
  Matcher(SplitPattern pattern, std::string_view text)
      : text_(text),
        letter_(pattern == SplitPattern::kQwen35 ? kClassLetter | kClassMark : kClassLetter),
        not_punct_(kClassWhiteSpace | kClassNumber | letter_) {}

  Char At(size_t i) const {
    if (i >= text_.size()) return {};
    const auto b = static_cast<uint8_t>(text_[i]);
    if (b < 0x80) return {b, AsciiClasses(b), 1};
    size_t j = i;
    const uint32_t cp = DecodeUtf8(text_, j);
    return {cp, CharClasses(cp), static_cast<uint8_t>(j - i)};
  }

  // End of the regex match that starts at `p` (< text.size()); every position matches something.
  size_t MatchAt(size_t p) const {
    const Char c0 = At(p);
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (c0.cp == '\'') {
      if (size_t e = MatchContraction(p + 1)) return e;
    }
    const Char c1 = At(p + c0.len);
    // [^\r\n\p{L}\p{N}]?\p{L}+ : the optional prefix is taken only if a letter follows it.
    if (!IsCrLf(c0.cp) && !(c0.cls & (kClassLetter | kClassNumber)) && (c1.cls & letter_)) {
      return Run(p + c0.len, letter_, true);
    }
    if (c0.cls & letter_) return Run(p, letter_, true);
    // \p{N}
    if (c0.cls & kClassNumber) return p + c0.len;
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    size_t q = p;
    if (c0.cp == ' ' && c1.len != 0 && !(c1.cls & not_punct_)) q = p + 1;
    if (!(At(q).cls & not_punct_)) {
      q = Run(q, not_punct_, false);
      while (q < text_.size() && IsCrLf(static_cast<uint8_t>(text_[q]))) ++q;
      return q;
    }
    return MatchWhiteSpace(p);
  }

 private:
  static bool IsCrLf(uint32_t cp) { return cp == '\r' || cp == '\n'; }

  static uint8_t AsciiClasses(uint8_t b) {
    if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') return kClassLetter;
    if (b >= '0' && b <= '9') return kClassNumber;
    if (b == ' ' || (b >= '\t' && b <= '\r')) return kClassWhiteSpace | kClassPythonSpace;
    if (b >= 0x1C && b <= 0x1F) return kClassPythonSpace;
    return 0;
  }

  // End of the run of characters starting at `p` that have (`member`) or lack (!`member`) any
  // of the bits `mask`.
  size_t Run(size_t p, uint8_t mask, bool member) const {
    while (p < text_.size()) {
      const Char c = At(p);
      if (((c.cls & mask) != 0) != member) break;
      p += c.len;
    }
    return p;
  }

  // Matches s|t|re|ve|m|ll|d case-insensitively at `p`; returns the end or 0.
  size_t MatchContraction(size_t p) const {
    const Char a = At(p);
    const char la = a.len ? ContractionFoldLetter(a.cp) : 0;
    if (la == 's' || la == 't' || la == 'm' || la == 'd') return p + a.len;
    if (la != 'r' && la != 'v' && la != 'l') return 0;
    const Char b = At(p + a.len);
    const char lb = b.len ? ContractionFoldLetter(b.cp) : 0;
    if (lb == (la == 'l' ? 'l' : 'e')) return p + a.len + b.len;
    return 0;
  }

  // c0 is white space here (every other character matched an earlier alternative).
  size_t MatchWhiteSpace(size_t p) const {
    size_t last_crlf = SIZE_MAX, last_start = p, w = p;
    while (w < text_.size()) {
      const Char c = At(w);
      if (!(c.cls & kClassWhiteSpace)) break;
      if (IsCrLf(c.cp)) last_crlf = w;
      last_start = w;
      w += c.len;
    }
    // \s*[\r\n]+ : \s* backs off to the last line break of the run.
    if (last_crlf != SIZE_MAX) return last_crlf + 1;
    // \s+(?!\S) : the whole run at the end of the text, else all but its last character;
    // \s+ : a lone white space character before a non-space.
    if (w == text_.size() || last_start == p) return w;
    return last_start;
  }

  std::string_view text_;
  uint8_t letter_;
  uint8_t not_punct_;
};

}  // namespace

std::optional<SplitPattern> SplitPatternFromRegex(std::string_view regex) {
  if (regex == kQwen2Regex) return SplitPattern::kQwen2;
  if (regex == kQwen35Regex) return SplitPattern::kQwen35;
  return std::nullopt;
}

std::string_view SplitPatternRegex(SplitPattern pattern) {
  return pattern == SplitPattern::kQwen35 ? kQwen35Regex : kQwen2Regex;
}

void PreTokenize(SplitPattern pattern, std::string_view text, std::vector<size_t>* piece_ends) {
  const Matcher m(pattern, text);
  for (size_t p = 0; p < text.size();) {
    p = m.MatchAt(p);
    piece_ends->push_back(p);
  }
}

}  // namespace haloguard::tokenizer
