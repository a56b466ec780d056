// The generated UCD 16.0 class tables against an independent source, ICU (Unicode 15.0 on Debian
// 12), for every code point ICU knows; and the code points new in 15.1/16.0 against what the HF
// regex engine was observed to do with them (tests/data/tokenizer/PROVENANCE.md).
#include "tokenizer/unicode.h"

#include <gtest/gtest.h>
#include <unicode/uchar.h>

#include <map>

namespace haloguard::tokenizer {
namespace {

uint8_t IcuClasses(UChar32 cp) {
  uint8_t bits = 0;
  const uint32_t mask = U_GET_GC_MASK(cp);
  if (mask & U_GC_L_MASK) bits |= kClassLetter;
  if (mask & U_GC_M_MASK) bits |= kClassMark;
  if (mask & U_GC_N_MASK) bits |= kClassNumber;
  if (u_isUWhiteSpace(cp)) bits |= kClassWhiteSpace;
  return bits;
}

bool AssignedInIcu(UChar32 cp) {
  UVersionInfo age;
  u_charAge(cp, age);
  return age[0] != 0 || age[1] != 0;
}

TEST(Unicode, AgreesWithIcuWhereIcuKnowsTheCodePoint) {
  constexpr uint8_t kRegexBits = kClassLetter | kClassMark | kClassNumber | kClassWhiteSpace;
  int checked = 0;
  std::map<UChar32, std::pair<int, int>> differences;
  for (UChar32 cp = 0; cp < 0x110000; ++cp) {
    if (!AssignedInIcu(cp)) continue;
    ++checked;
    const uint8_t ours = CharClasses(cp) & kRegexBits;
    if (ours != IcuClasses(cp)) differences[cp] = {ours, IcuClasses(cp)};
  }
  EXPECT_GT(checked, 280000);  // ICU 72 / Unicode 15.0 assigns 289,460 incl. private use
  for (const auto& [cp, d] : differences) {
    ADD_FAILURE() << "U+" << std::hex << cp << ": ours " << d.first << ", ICU " << d.second;
  }
}

// Characters added after ICU's Unicode 15.0: the oracle (HF tokenizers 0.23.2) treats 15.1 and
// 16.0 additions by their category and 17.0 additions as unassigned; so must we.
TEST(Unicode, NewerCharactersFollowTheOracle) {
  EXPECT_EQ(CharClasses(0x2EBF0), kClassLetter);  // CJK Ext I (15.1)
  EXPECT_EQ(CharClasses(0x105C0), kClassLetter);  // Todhri (16.0)
  EXPECT_EQ(CharClasses(0x1E5D0), kClassLetter);  // Ol Onal (16.0)
  EXPECT_EQ(CharClasses(0x1C89), kClassLetter);   // Cyrillic TJE (16.0)
  EXPECT_EQ(CharClasses(0x10D40), kClassNumber);  // Garay digit zero (16.0)
  EXPECT_EQ(CharClasses(0x1CCF0), kClassNumber);  // outlined digit zero (16.0)
  for (uint32_t cp : {0x10940u, 0x11DB0u, 0x1E6C0u, 0x323B0u, 0x16EA0u}) {  // 17.0
    EXPECT_EQ(CharClasses(cp), 0) << std::hex << cp;
  }
  EXPECT_EQ(UnicodeTablesVersion(), "16.0.0");
}

TEST(Unicode, SpaceSets) {
  // \s (White_Space) and Python's isspace differ on U+001C..U+001F only.
  for (uint32_t cp : {0x9u, 0xAu, 0xDu, 0x20u, 0x85u, 0xA0u, 0x1680u, 0x2000u, 0x2028u, 0x3000u}) {
    EXPECT_EQ(CharClasses(cp), kClassWhiteSpace | kClassPythonSpace) << std::hex << cp;
  }
  EXPECT_EQ(CharClasses(0x1C), kClassPythonSpace);
  EXPECT_EQ(CharClasses(0x180E), 0);  // Cf since Unicode 6.3
  EXPECT_EQ(CharClasses(0x200B), 0);
  EXPECT_EQ(CharClasses(0x110000), 0);
}

TEST(Unicode, ContractionFolds) {
  EXPECT_EQ(ContractionFoldLetter('S'), 's');
  EXPECT_EQ(ContractionFoldLetter('l'), 'l');
  EXPECT_EQ(ContractionFoldLetter(0x17F), 's');  // LATIN SMALL LETTER LONG S folds to s
  EXPECT_EQ(ContractionFoldLetter('k'), 0);
  EXPECT_EQ(ContractionFoldLetter(0x212A), 0);  // KELVIN SIGN folds to k: not a suffix letter
  EXPECT_EQ(ContractionFoldLetter(0), 0);
  EXPECT_EQ(ContractionFoldLetter(0xDF), 0);  // ß folds to "ss": never a one-letter match
}

}  // namespace
}  // namespace haloguard::tokenizer
