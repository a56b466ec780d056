// UTF-8 validation (Unicode Table 3-7 well-formed byte sequences) and replacement decoding.
#include "core/utf8.h"

namespace haloguard {
namespace {

// Length of the maximal well-formed prefix at s[i] and whether it is a complete character.
// Returns the number of bytes consumed (>= 1) and sets `ok`.
size_t ScanOne(std::string_view s, size_t i, bool& ok) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = b(i);
  ok = false;
  if (b0 < 0x80) { ok = true; return 1; }
  uint8_t lo = 0x80, hi = 0xBF;
  size_t need;
  if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
  else if (b0 == 0xE0) { need = 2; lo = 0xA0; }
  else if (b0 >= 0xE1 && b0 <= 0xEC) need = 2;
  else if (b0 == 0xED) { need = 2; hi = 0x9F; }
  else if (b0 >= 0xEE && b0 <= 0xEF) need = 2;
  else if (b0 == 0xF0) { need = 3; lo = 0x90; }
  else if (b0 >= 0xF1 && b0 <= 0xF3) need = 3;
  else if (b0 == 0xF4) { need = 3; hi = 0x8F; }
  else return 1;  // 0x80..0xC1, 0xF5..0xFF: never valid as a lead byte
  size_t k = 1;
  for (; k <= need; ++k) {
    if (i + k >= s.size()) return k;
    const uint8_t c = b(i + k);
    if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return k;
  }
  ok = true;
  return need + 1;
}

}  // namespace

Status ValidateUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    bool ok;
    size_t n = ScanOne(s, i, ok);
    if (!ok) {
      static const char* kHex = "0123456789abcdef";
      const auto byte = static_cast<uint8_t>(s[i]);
      std::string msg = "invalid UTF-8 at byte offset " + std::to_string(i) + " (byte 0x";
      msg += kHex[byte >> 4];
      msg += kHex[byte & 15];
      msg += "); expected well-formed UTF-8 text";
      return InvalidArgumentError(std::move(msg));
    }
    i += n;
  }
  return OkStatus();
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    bool ok;
    size_t n = ScanOne(s, i, ok);
    if (ok) out.append(s.substr(i, n));
    else out.append("\xEF\xBF\xBD");
    i += n;
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace haloguard
