// The GPT-2 byte-level alphabet: each byte 0..255 is shown as one printable code point (space is
// U+0120 'Ġ', newline U+010A 'Ċ'), the spelling of every token in a byte-level tokenizer.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace haloguard::tokenizer {

// The code point that stands for `byte`.
uint32_t ByteToCodePoint(uint8_t byte);
// The byte that code point `cp` stands for; nullopt if `cp` is not in the alphabet.
std::optional<uint8_t> CodePointToByte(uint32_t cp);

// Byte-level spelling of raw bytes (e.g. " hi" -> "Ġhi"); always valid UTF-8.
std::string BytesToTokenString(std::string_view bytes);
// The bytes a token string spells, as HF's ByteLevel decoder reads it: if every character of
// `token` is in the alphabet, the bytes they stand for; otherwise `token`'s own UTF-8 bytes.
// `token` must be valid UTF-8.
std::string TokenStringToBytes(std::string_view token);

}  // namespace haloguard::tokenizer
