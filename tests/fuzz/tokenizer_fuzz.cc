// libFuzzer target: the tokenizer on arbitrary bytes (what a client's text becomes), the chat
// template on arbitrary messages, and tokenizer.json loading. Byte 0 % 3 picks the mode:
// 0 = Encode/EncodeWithOffsets with the tiny test tokenizer (tests/data/tiny_tokenizer, path
// compiled in by scripts/test_fuzz.sh); 1 = RenderChat on messages split from the input at 0x00
// bytes, roles picked by byte values; 2 = the rest as a tokenizer.json file, loaded and used.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace t = haloguard::tokenizer;

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

const t::Tokenizer& Tiny() {
  static const t::Tokenizer tok = [] {
    auto r = t::Tokenizer::LoadFromDir(HG_FUZZ_TOKENIZER_DIR);
    Require(r.ok());
    return std::move(*r);
  }();
  return tok;
}

void FuzzEncode(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> spans;
  auto ids = Tiny().EncodeWithOffsets(text, &spans);
  auto plain = Tiny().Encode(text);
  Require(ids.ok() == plain.ok());
  if (!ids.ok()) {
    Require(!ids.status().message().empty());
    return;
  }
  Require(*ids == *plain && spans.size() == ids->size());
  size_t prev = 0;
  for (const auto& [first, second] : spans) {  // documented: non-decreasing, inside the text
    Require(first <= second && second <= text.size() && first >= prev);
    prev = first;
  }
  (void)Tiny().Decode(*ids, /*skip_special_tokens=*/true);
}

void FuzzChat(std::string_view rest, uint8_t mode) {
  static const char* kRoles[] = {"system", "user", "assistant", "tool", "other"};
  std::vector<t::ChatMessage> msgs;
  while (!rest.empty() && msgs.size() < 16) {
    const size_t end = rest.find('\0');
    const std::string_view part = rest.substr(0, end);
    const uint8_t role = part.empty() ? 1 : static_cast<uint8_t>(part[0]);
    msgs.push_back({kRoles[role % 5], std::string(part.empty() ? part : part.substr(1))});
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  auto r = t::RenderChat(msgs, (mode & 2) != 0, (mode & 4) != 0);
  if (!r.ok()) Require(!r.status().message().empty());
  (void)t::PythonStrip(rest);
}

// The loader reads files: the input goes to one scratch file per process, then Tokenizer::Load.
void FuzzTokenizerJson(std::string_view json) {
  static const std::string path = "fuzz-tokenizer-" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(json.data(), static_cast<std::streamsize>(json.size()));
  }
  auto tok = t::Tokenizer::Load(path, "");
  if (!tok.ok()) {
    Require(!tok.status().message().empty());
    return;
  }
  auto ids = tok->Encode("hello <|im_end|> wörld 123");
  if (ids.ok()) (void)tok->Decode(*ids, /*skip_special_tokens=*/false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: FuzzEncode(rest); break;
    case 1: FuzzChat(rest, data[0]); break;
    default: FuzzTokenizerJson(rest); break;
  }
  return 0;
}
