// Canonical composition (UAX #15): decompose, reorder by combining class, recompose. Only the
// stretches around characters that can change are processed; everything else is copied.
#include "tokenizer/nfc.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <unordered_map>

#include "core/check.h"
#include "core/utf8.h"
#include "tokenizer/two_stage_table.h"

namespace haloguard::tokenizer {
namespace {

constexpr uint8_t kMaxAgeMajor = 9;  // HF's normalizer data is Unicode 9.0

// Per-code-point property word: ccc in bits 0..7, flags above.
enum : uint16_t {
  kDecomposes = 1u << 8,       // has a canonical decomposition
  kComposesBack = 1u << 9,     // second element of some primary composite (NFC_QC=Maybe)
  kChangesAlone = 1u << 10,    // NFC of the lone character differs (NFC_QC=No)
  kBoundaryBefore = 1u << 11,  // nothing before it can interact with it or what follows
};

struct NfcData {
  internal::TwoStageTable<uint16_t> props{std::vector<uint16_t>(internal::kNumCodePoints)};
  std::unordered_map<uint32_t, std::u32string> decomposition;  // full canonical decomposition
  std::unordered_map<uint64_t, uint32_t> composition;  // (first << 32 | second) -> composite
};

uint64_t PairKey(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

bool InOldUnicode(UChar32 cp) {
  UVersionInfo age;
  u_charAge(cp, age);
  const bool assigned = age[0] != 0 || age[1] != 0;
  return assigned && age[0] <= kMaxAgeMajor;
}

std::u32string RawDecomposition(const UNormalizer2* nfd, UChar32 cp) {
  UChar buf[32];
  UErrorCode err = U_ZERO_ERROR;
  const int32_t len = unorm2_getRawDecomposition(nfd, cp, buf, 32, &err);
  std::u32string out;
  if (U_FAILURE(err) || len < 0) return out;
  for (int32_t i = 0; i < len;) {
    UChar32 c;
    U16_NEXT(buf, i, len, c);
    out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

std::u32string FullDecomposition(const std::unordered_map<uint32_t, std::u32string>& raw,
                                 uint32_t cp) {
  auto it = raw.find(cp);
  if (it == raw.end()) return std::u32string(1, static_cast<char32_t>(cp));
  std::u32string out;
  for (char32_t c : it->second) out += FullDecomposition(raw, c);
  return out;
}

struct Ch {
  uint32_t cp;
  uint8_t ccc;
  ByteSpan src;
};

// Decomposes, reorders and recomposes `chars` in place (one normalization segment).
void NormalizeChars(const NfcData& d, std::vector<Ch>& chars);

NfcData BuildNfcData() {
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* nfc = unorm2_getNFCInstance(&err);
  const UNormalizer2* nfd = unorm2_getNFDInstance(&err);
  HG_CHECK(U_SUCCESS(err)) << "ICU normalizer data unavailable: " << u_errorName(err);
  NfcData d;
  std::vector<uint16_t> flat(internal::kNumCodePoints, 0);
  std::unordered_map<uint32_t, std::u32string> raw;
  for (UChar32 cp = 0; cp < static_cast<UChar32>(internal::kNumCodePoints); ++cp) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || !InOldUnicode(cp)) continue;
    flat[cp] = u_getCombiningClass(cp);
    std::u32string dec = RawDecomposition(nfd, cp);
    if (dec.empty()) continue;
    flat[cp] |= kDecomposes;
    if (dec.size() == 2 && unorm2_composePair(nfc, dec[0], dec[1]) == cp) {
      d.composition[PairKey(dec[0], dec[1])] = static_cast<uint32_t>(cp);
    }
    raw.emplace(static_cast<uint32_t>(cp), std::move(dec));
  }
  for (const auto& [key, cp] : d.composition) flat[key & 0xFFFFFFFFu] |= kComposesBack;
  for (const auto& [cp, dec] : raw) d.decomposition.emplace(cp, FullDecomposition(raw, cp));
  d.props = internal::TwoStageTable<uint16_t>(flat);  // ccc + composition flags, for the pass below
  for (const auto& [cp, dec] : d.decomposition) {
    std::vector<Ch> one = {{cp, 0, {}}};
    NormalizeChars(d, one);
    if (one.size() != 1 || one[0].cp != cp) flat[cp] |= kChangesAlone;
  }
  for (uint32_t cp = 0; cp < internal::kNumCodePoints; ++cp) {
    const uint16_t p = flat[cp];
    if ((p & 0xFF) != 0 || (p & kComposesBack)) continue;
    if (p & kDecomposes) {
      const uint16_t first = flat[d.decomposition.at(cp)[0]];
      if ((first & 0xFF) != 0 || (first & kComposesBack)) continue;
    }
    flat[cp] |= kBoundaryBefore;
  }
  d.props = internal::TwoStageTable<uint16_t>(flat);
  return d;
}

const NfcData& Data() {
  static const NfcData data = BuildNfcData();
  return data;
}

void Decompose(const NfcData& d, std::vector<Ch>& chars) {
  std::vector<Ch> out;
  out.reserve(chars.size() + 4);
  for (const Ch& c : chars) {
    if (d.props.Get(c.cp) & kDecomposes) {
      for (char32_t x : d.decomposition.at(c.cp)) {
        out.push_back(
            {static_cast<uint32_t>(x), static_cast<uint8_t>(d.props.Get(x) & 0xFF), c.src});
      }
    } else {
      out.push_back({c.cp, static_cast<uint8_t>(d.props.Get(c.cp) & 0xFF), c.src});
    }
  }
  chars.swap(out);
}

// Canonical ordering: a stable sort of every run of non-starters by combining class.
void Reorder(std::vector<Ch>& chars) {
  for (size_t i = 0; i < chars.size();) {
    if (chars[i].ccc == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < chars.size() && chars[j].ccc != 0) ++j;
    std::stable_sort(chars.begin() + i, chars.begin() + j,
                     [](const Ch& a, const Ch& b) { return a.ccc < b.ccc; });
    i = j;
  }
}

// Canonical composition: a character joins the last starter unless blocked (an intervening
// character has class 0 or a class >= its own).
void Compose(const NfcData& d, std::vector<Ch>& chars) {
  std::vector<Ch> out;
  out.reserve(chars.size());
  int64_t starter = -1;
  int last_ccc = -1;
  for (const Ch& c : chars) {
    if (starter >= 0 && (last_ccc < c.ccc || last_ccc == 0)) {
      auto it = d.composition.find(PairKey(out[starter].cp, c.cp));
      if (it != d.composition.end()) {
        Ch& s = out[starter];
        s.cp = it->second;
        s.src = {std::min(s.src.begin, c.src.begin), std::max(s.src.end, c.src.end)};
        continue;
      }
    }
    if (c.ccc == 0) starter = static_cast<int64_t>(out.size());
    last_ccc = c.ccc;
    out.push_back(c);
  }
  chars.swap(out);
}

void NormalizeChars(const NfcData& d, std::vector<Ch>& chars) {
  Decompose(d, chars);
  Reorder(chars);
  Compose(d, chars);
}

bool NeedsWork(uint16_t p) { return (p & 0xFF) != 0 || (p & (kComposesBack | kChangesAlone)); }

// Appends text[begin, end) unchanged, with per-byte spans of whole characters.
void CopyVerbatim(std::string_view text, size_t begin, size_t end, std::string* out,
                  std::vector<ByteSpan>* spans) {
  out->append(text.substr(begin, end - begin));
  if (!spans) return;
  for (size_t i = begin; i < end;) {
    const size_t start = i;
    DecodeUtf8(text, i);
    spans->insert(spans->end(), i - start,
                  ByteSpan{static_cast<uint32_t>(start), static_cast<uint32_t>(i)});
  }
}

// Normalizes text[begin, end) (a whole segment) and appends it.
void NormalizeSegment(const NfcData& d, std::string_view text, size_t begin, size_t end,
                      std::string* out, std::vector<ByteSpan>* spans) {
  std::vector<Ch> chars;
  for (size_t i = begin; i < end;) {
    const size_t start = i;
    const uint32_t cp = DecodeUtf8(text, i);
    chars.push_back({cp, 0, {static_cast<uint32_t>(start), static_cast<uint32_t>(i)}});
  }
  NormalizeChars(d, chars);
  const size_t before = out->size();
  for (const Ch& c : chars) AppendUtf8(c.cp, *out);
  if (std::string_view(*out).substr(before) == text.substr(begin, end - begin)) {
    out->resize(before);  // already normal (the common case for marks in order)
    CopyVerbatim(text, begin, end, out, spans);
    return;
  }
  // Reordering and composition blur which output character came from which input character, so
  // every byte gets the whole segment: spans stay in order, gap-free, and cover their sources.
  if (spans) {
    spans->insert(spans->end(), out->size() - before,
                  ByteSpan{static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
  }
}

}  // namespace

bool IsNfcQuick(std::string_view text) {
  const NfcData& d = Data();
  for (size_t i = 0; i < text.size();) {
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    if (NeedsWork(d.props.Get(DecodeUtf8(text, i)))) return false;
  }
  return true;
}

void NormalizeNfc(std::string_view text, std::string* out, std::vector<ByteSpan>* spans) {
  const NfcData& d = Data();
  size_t copied = 0;    // text[0, copied) has been emitted
  size_t boundary = 0;  // start of the latest character with kBoundaryBefore
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const uint16_t p = static_cast<uint8_t>(text[i]) < 0x80 ? static_cast<uint16_t>(kBoundaryBefore)
                                                            : d.props.Get(DecodeUtf8(text, i));
    if (i == start) ++i;  // ASCII
    if (p & kBoundaryBefore) boundary = start;
    if (!NeedsWork(p)) continue;
    size_t end = i;  // the segment runs to the next boundary character
    while (end < text.size()) {
      size_t next = end;
      const uint16_t q = static_cast<uint8_t>(text[end]) < 0x80
                             ? static_cast<uint16_t>(kBoundaryBefore)
                             : d.props.Get(DecodeUtf8(text, next));
      if (q & kBoundaryBefore) break;
      end = next > end ? next : end + 1;
    }
    CopyVerbatim(text, copied, boundary, out, spans);
    NormalizeSegment(d, text, boundary, end, out, spans);
    copied = boundary = i = end;
  }
  CopyVerbatim(text, copied, text.size(), out, spans);
}

std::string_view NfcUnicodeVersion() { return "9.0"; }

}  // namespace haloguard::tokenizer
