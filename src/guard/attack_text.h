// Text normalisation for the attack-overlay detector: turns arbitrary bytes into a stream of
// normalised word tokens, each with its byte span in the input. Not a linguistic tokenizer.
//
// Per code point: compatibility decomposition + Unicode case folding (utf8proc, so fullwidth
// "ＩＧＮＯＲＥ" reads "ignore"), nonspacing/enclosing marks dropped (accents: "précédentes" reads
// "precedentes"), default-ignorable code points dropped (zero-width spaces, soft hyphens: they
// cannot split a word). Letters, digits and spacing marks form words; everything else separates
// them. Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) give
// one token per character, so a pattern word sequence matches them as a substring.
// Invalid UTF-8 bytes and NULs are separators. Work is O(input bytes) and memory O(1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace haloguard::guard::internal {

// Tokens longer than this (normalised bytes) keep only their first kMaxTokenBytes bytes and are
// marked truncated: no natural-language word is that long, and the cap bounds every comparison.
inline constexpr size_t kMaxTokenBytes = 96;

struct TextToken {
  std::string_view text;  // normalised UTF-8; valid until the next call to Next()
  size_t begin = 0;       // byte span [begin, end) of the token in the original input
  size_t end = 0;
  bool truncated = false;  // text holds only the first kMaxTokenBytes bytes
};

// Pulls tokens from `input` (which must outlive the stream). Not thread-safe; cheap to create.
class TokenStream {
 public:
  explicit TokenStream(std::string_view input) : input_(input) {}

  // Fills *tok with the next token; false at the end of the input.
  bool Next(TextToken* tok);

 private:
  enum class CharClass : uint8_t { kSeparator, kWord, kSingle, kTransparent };

  static CharClass Classify(uint32_t c);
  void LoadNextCodePoint();
  bool Flush(TextToken* tok);
  void Append(uint32_t cp);

  std::string_view input_;
  size_t pos_ = 0;  // next unread byte
  // Normalised code points of the current input code point, and where it lies in the input.
  int32_t pending_[32];
  int pending_count_ = 0;
  int pending_next_ = 0;
  size_t cp_begin_ = 0, cp_end_ = 0;
  // The token being built.
  bool in_token_ = false;
  bool truncated_ = false;
  size_t tok_begin_ = 0, tok_end_ = 0;
  std::string buf_;
};

// Normalises `text` into space-separated tokens (tests and pattern compilation use this).
std::string NormalizeForMatching(std::string_view text);

}  // namespace haloguard::guard::internal
