// Normalised word tokens for the attack-overlay detector (utf8proc for decomposition, case
// folding and general categories; see attack_text.h for the rules).
#include "guard/attack_text.h"

#include <utf8proc.h>

#include "core/utf8.h"

namespace haloguard::guard::internal {
namespace {

constexpr int32_t kReplacement = 0xFFFD;

// Scripts written without spaces between words: each character is its own token.
bool IsUnsegmented(uint32_t c) {
  return (c >= 0x0E00 && c <= 0x0EFF) ||    // Thai, Lao
         (c >= 0x1000 && c <= 0x109F) ||    // Myanmar
         (c >= 0x1780 && c <= 0x17FF) ||    // Khmer
         (c >= 0x2E80 && c <= 0x2FDF) ||    // CJK radicals, Kangxi radicals
         (c >= 0x3005 && c <= 0x3007) ||    // ideographic iteration mark, closing mark, zero
         (c >= 0x3021 && c <= 0x303B) ||    // Hangzhou numerals, iteration marks
         (c >= 0x3040 && c <= 0x30FF) ||    // Hiragana, Katakana
         (c >= 0x31F0 && c <= 0x31FF) ||    // Katakana phonetic extensions
         (c >= 0x3400 && c <= 0x4DBF) ||    // CJK extension A
         (c >= 0x4E00 && c <= 0x9FFF) ||    // CJK unified ideographs
         (c >= 0xF900 && c <= 0xFAFF) ||    // CJK compatibility ideographs
         (c >= 0xFF66 && c <= 0xFF9F) ||    // halfwidth Katakana
         (c >= 0x20000 && c <= 0x3FFFF);    // CJK extensions B..H
}

}  // namespace

TokenStream::CharClass TokenStream::Classify(uint32_t c) {
  if (c < 0x80) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    return word ? CharClass::kWord : CharClass::kSeparator;
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
      return CharClass::kTransparent;
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return IsUnsegmented(c) ? CharClass::kSingle : CharClass::kWord;
    default:
      return CharClass::kSeparator;
  }
}

void TokenStream::LoadNextCodePoint() {
  cp_begin_ = pos_;
  pending_next_ = 0;
  const auto b = static_cast<unsigned char>(input_[pos_]);
  if (b < 0x80) {  // ASCII fast path: folding is lower-casing, nothing decomposes
    pending_[0] = (b >= 'A' && b <= 'Z') ? b + ('a' - 'A') : b;
    pending_count_ = 1;
    cp_end_ = ++pos_;
    return;
  }
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(input_.data() + pos_);
  utf8proc_int32_t cp = 0;
  const utf8proc_ssize_t n =
      utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(input_.size() - pos_), &cp);
  if (n <= 0) {  // ill-formed byte: a separator, one byte at a time
    pending_[0] = kReplacement;
    pending_count_ = 1;
    cp_end_ = ++pos_;
    return;
  }
  pos_ += static_cast<size_t>(n);
  cp_end_ = pos_;
  const auto options =
      static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
                                     UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
  const utf8proc_ssize_t m =
      utf8proc_decompose_char(cp, pending_, std::size(pending_), options, nullptr);
  if (m < 0 || m > static_cast<utf8proc_ssize_t>(std::size(pending_))) {
    pending_[0] = kReplacement;
    pending_count_ = 1;
  } else {
    pending_count_ = static_cast<int>(m);
  }
}

void TokenStream::Append(uint32_t cp) {
  tok_end_ = cp_end_;
  if (truncated_) return;
  const size_t before = buf_.size();
  AppendUtf8(cp, buf_);
  if (buf_.size() > kMaxTokenBytes) {
    buf_.resize(before);
    truncated_ = true;
  }
}

bool TokenStream::Flush(TextToken* tok) {
  if (!in_token_) return false;
  in_token_ = false;
  tok->text = buf_;
  tok->begin = tok_begin_;
  tok->end = tok_end_;
  tok->truncated = truncated_;
  return true;
}

bool TokenStream::Next(TextToken* tok) {
  for (;;) {
    if (pending_next_ == pending_count_) {
      if (pos_ >= input_.size()) return Flush(tok);
      LoadNextCodePoint();
      continue;
    }
    const auto c = static_cast<uint32_t>(pending_[pending_next_]);
    const CharClass cls = Classify(c);
    if (cls == CharClass::kSeparator || cls == CharClass::kTransparent) {
      ++pending_next_;
      if (cls == CharClass::kTransparent && in_token_) tok_end_ = cp_end_;
      if (cls == CharClass::kSeparator && in_token_) return Flush(tok);
      continue;
    }
    if (cls == CharClass::kSingle && in_token_) return Flush(tok);  // c stays pending
    if (!in_token_) {
      in_token_ = true;
      truncated_ = false;
      buf_.clear();
      tok_begin_ = cp_begin_;
    }
    Append(c);
    ++pending_next_;
    if (cls == CharClass::kSingle) return Flush(tok);
  }
}

std::string NormalizeForMatching(std::string_view text) {
  TokenStream stream(text);
  TextToken tok;
  std::string out;
  while (stream.Next(&tok)) {
    if (!out.empty()) out += ' ';
    out += tok.text;
  }
  return out;
}

}  // namespace haloguard::guard::internal
