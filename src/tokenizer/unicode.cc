// CharClass lookup: a two-stage table built once from the generated UCD range tables.
#include "tokenizer/unicode.h"

#include <cstddef>
#include <vector>

#include "tokenizer/two_stage_table.h"

namespace haloguard::tokenizer {
namespace {

struct CodeRange {
  uint32_t lo, hi;  // inclusive
};
struct CaseFold {
  uint32_t cp;
  char letter;
};
#include "tokenizer/unicode_tables.inc"

using internal::kNumCodePoints;

template <size_t N>
void Fill(std::vector<uint8_t>& flat, const CodeRange (&ranges)[N], uint8_t bit) {
  for (const CodeRange& r : ranges) {
    for (uint32_t cp = r.lo; cp <= r.hi; ++cp) flat[cp] |= bit;
  }
}

internal::TwoStageTable<uint8_t> BuildClassTable() {
  std::vector<uint8_t> flat(kNumCodePoints, 0);
  Fill(flat, kLetterRanges, kClassLetter);
  Fill(flat, kMarkRanges, kClassMark);
  Fill(flat, kNumberRanges, kClassNumber);
  Fill(flat, kWhiteSpaceRanges, kClassWhiteSpace);
  Fill(flat, kPythonSpaceRanges, kClassPythonSpace);
  return internal::TwoStageTable<uint8_t>(flat);
}

const internal::TwoStageTable<uint8_t>& Table() {
  static const internal::TwoStageTable<uint8_t> table = BuildClassTable();
  return table;
}

}  // namespace

uint8_t CharClasses(uint32_t cp) { return Table().Get(cp); }

char ContractionFoldLetter(uint32_t cp) {
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') cp |= 0x20;  // ASCII simple case folding
    const auto c = static_cast<char>(cp);
    return std::string_view("strevmld").find(c) != std::string_view::npos ? c : 0;
  }
  for (const CaseFold& f : kContractionFolds) {
    if (f.cp == cp) return f.letter;
  }
  return 0;
}

std::string_view UnicodeTablesVersion() { return kUcdVersion; }

}  // namespace haloguard::tokenizer
