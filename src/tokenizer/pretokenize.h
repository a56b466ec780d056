// The Split pre-tokenizer of Qwen2/3 and Qwen3.5 tokenizer.json files, hand-written: it returns the
// same pieces as the Oniguruma regex that HF tokenizers runs ("Isolated" behaviour), without a
// regex engine. Works on NFC-normalized UTF-8; knows nothing about bytes-to-ids.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace haloguard::tokenizer {

enum class SplitPattern {
  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|
  // ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kQwen2,
  // The Qwen3.5 variant: letters runs are [\p{L}\p{M}]+ and marks leave the punctuation class.
  kQwen35,
};

// The pattern whose exact regex source (as written in tokenizer.json) is `regex`; nullopt if it is
// not one of the two supported patterns.
std::optional<SplitPattern> SplitPatternFromRegex(std::string_view regex);
// The regex source of `pattern`.
std::string_view SplitPatternRegex(SplitPattern pattern);

// Returns the end offset of every piece of `text` in order (the last one is text.size(); empty
// text gives no pieces). Pieces cover the text without gaps. `text` must be valid UTF-8.
// Thread-safe.
void PreTokenize(SplitPattern pattern, std::string_view text, std::vector<size_t>* piece_ends);

}  // namespace haloguard::tokenizer
