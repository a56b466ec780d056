// UTF-8 validation and decoding helpers shared by the tokenizer, guard and server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace haloguard {

// Returns OK if `s` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF);
// otherwise INVALID_ARGUMENT naming the byte offset and the offending byte.
Status ValidateUtf8(std::string_view s);

// Replaces every ill-formed sequence with U+FFFD (WHATWG "maximal subpart" rule, like Python's
// bytes.decode('utf-8', 'replace')).
std::string SanitizeUtf8(std::string_view s);

// Decodes one code point starting at s[i] (must be valid UTF-8); advances i.
inline uint32_t DecodeUtf8(std::string_view s, size_t& i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) { i += 1; return b0; }
  if (b0 < 0xE0) {
    uint32_t cp = ((b0 & 0x1Fu) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3Fu);
    i += 2;
    return cp;
  }
  if (b0 < 0xF0) {
    uint32_t cp = ((b0 & 0x0Fu) << 12) | ((static_cast<uint8_t>(s[i + 1]) & 0x3Fu) << 6) |
                  (static_cast<uint8_t>(s[i + 2]) & 0x3Fu);
    i += 3;
    return cp;
  }
  uint32_t cp = ((b0 & 0x07u) << 18) | ((static_cast<uint8_t>(s[i + 1]) & 0x3Fu) << 12) |
                ((static_cast<uint8_t>(s[i + 2]) & 0x3Fu) << 6) |
                (static_cast<uint8_t>(s[i + 3]) & 0x3Fu);
  i += 4;
  return cp;
}

// Appends the UTF-8 encoding of `cp` (must be a valid scalar value) to `out`.
void AppendUtf8(uint32_t cp, std::string& out);

}  // namespace haloguard
