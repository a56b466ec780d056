// bytes_to_unicode() of GPT-2: printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100.. in byte order.
#include "tokenizer/byte_level.h"

#include <array>

#include "core/utf8.h"

namespace haloguard::tokenizer {
namespace {

bool IsPrintableLatin1(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Alphabet {
  std::array<uint32_t, 256> byte_to_cp{};
  std::array<int16_t, 512> cp_to_byte{};  // every alphabet code point is below U+0200
  Alphabet() {
    cp_to_byte.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      byte_to_cp[b] = IsPrintableLatin1(b) ? static_cast<uint32_t>(b) : next++;
      cp_to_byte[byte_to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const Alphabet& Table() {
  static const Alphabet alphabet;
  return alphabet;
}

}  // namespace

uint32_t ByteToCodePoint(uint8_t byte) { return Table().byte_to_cp[byte]; }

std::optional<uint8_t> CodePointToByte(uint32_t cp) {
  if (cp >= Table().cp_to_byte.size() || Table().cp_to_byte[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(Table().cp_to_byte[cp]);
}

std::string BytesToTokenString(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) AppendUtf8(ByteToCodePoint(static_cast<uint8_t>(c)), out);
  return out;
}

std::string TokenStringToBytes(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (size_t i = 0; i < token.size();) {
    const std::optional<uint8_t> b = CodePointToByte(DecodeUtf8(token, i));
    if (!b) return std::string(token);
    out.push_back(static_cast<char>(*b));
  }
  return out;
}

}  // namespace haloguard::tokenizer
