// NFC exactly as the HF tokenizers 0.23.2 "NFC" normalizer computes it. That normalizer (crate
// unicode-normalization-alignments) carries Unicode 9.0 data: characters assigned after 9.0 have
// no decomposition, composition or combining class there (probed: every ccc > 1 character new in
// 10.0..14.0 is left unordered). We reproduce it with ICU's canonical data (Debian libicu)
// restricted to code points whose age is <= 9.0; Unicode's normalization stability policy makes
// that exact. Not the regex classes (unicode.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace haloguard::tokenizer {

// A byte range [begin, end) of the text a normalized character came from.
struct ByteSpan {
  uint32_t begin = 0;
  uint32_t end = 0;
};

// True when NormalizeNfc(text) is certainly `text` (no character needs the full algorithm).
// A fast scan; `text` must be valid UTF-8. Thread-safe.
bool IsNfcQuick(std::string_view text);

// Appends NFC(text) (HF's Unicode 9.0 flavour) to *out. When `spans` is not null, appends one
// ByteSpan per output byte, relative to `text`: for text NFC left alone, the original character
// the byte belongs to; for a stretch NFC changed (a starter and the marks that reorder or compose
// with it), the whole stretch. Spans are non-decreasing and cover the text without gaps. `text`
// must be valid UTF-8 (callers validate first). Thread-safe.
void NormalizeNfc(std::string_view text, std::string* out, std::vector<ByteSpan>* spans);

// "9.0": the Unicode version of the normalization data.
std::string_view NfcUnicodeVersion();

}  // namespace haloguard::tokenizer
