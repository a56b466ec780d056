// NormalizeNfc against HF's normalizer on probes of every normalizing character, against ICU's own
// NFC on random strings of characters assigned by Unicode 9.0 (where the two must agree exactly,
// by the normalization stability policy), IsNfcQuick soundness, and the span contract.
#include "tokenizer/nfc.h"

#include <gtest/gtest.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <random>

#include "core/utf8.h"
#include "tokenizer/test_util.h"

namespace haloguard::tokenizer {
namespace {

std::string Nfc(std::string_view s, std::vector<ByteSpan>* spans = nullptr) {
  std::string out;
  NormalizeNfc(s, &out, spans);
  return out;
}

std::string IcuNfc(const std::string& s) {
  UErrorCode err = U_ZERO_ERROR;
  std::u16string in(s.size() + 1, u'\0'), out(4 * s.size() + 16, u'\0');
  int32_t in_len = 0;
  u_strFromUTF8(in.data(), static_cast<int32_t>(in.size()), &in_len, s.data(),
                static_cast<int32_t>(s.size()), &err);
  const UNormalizer2* nfc = unorm2_getNFCInstance(&err);
  const int32_t n =
      unorm2_normalize(nfc, in.data(), in_len, out.data(), static_cast<int32_t>(out.size()), &err);
  std::string utf8(4 * static_cast<size_t>(n) + 4, '\0');
  int32_t len = 0;
  u_strToUTF8(utf8.data(), static_cast<int32_t>(utf8.size()), &len, out.data(), n, &err);
  EXPECT_TRUE(U_SUCCESS(err)) << u_errorName(err);
  utf8.resize(static_cast<size_t>(len));
  return utf8;
}

bool InUnicode9(UChar32 cp) {
  UVersionInfo age;
  u_charAge(cp, age);
  return (age[0] != 0 || age[1] != 0) && age[0] <= 9;
}

// Characters that stress normalization: combining marks, decomposable and composable characters,
// Hangul jamo and syllables, all limited to Unicode 9.0.
std::vector<UChar32> InterestingUnicode9() {
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* nfd = unorm2_getNFDInstance(&err);
  std::vector<UChar32> out;
  for (UChar32 cp = 0x80; cp < 0x30000; ++cp) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || !InUnicode9(cp)) continue;
    UChar buf[8];
    err = U_ZERO_ERROR;
    const bool decomposes = unorm2_getRawDecomposition(nfd, cp, buf, 8, &err) > 0;
    if (u_getCombiningClass(cp) != 0 || decomposes || (cp >= 0x1100 && cp <= 0x11FF))
      out.push_back(cp);
  }
  return out;
}

TEST(Nfc, MatchesIcuOnUnicode9Text) {
  const std::vector<UChar32> pool = InterestingUnicode9();
  ASSERT_GT(pool.size(), 2500u);
  const std::string bases = "aeoAEOunc ";
  std::mt19937 rng(1234);
  int changed = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string s;
    const int len = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < len; ++k) {
      if (rng() % 3 == 0)
        s.push_back(bases[rng() % bases.size()]);
      else
        AppendUtf8(static_cast<uint32_t>(pool[rng() % pool.size()]), s);
    }
    const std::string want = IcuNfc(s);
    ASSERT_EQ(Nfc(s), want) << "input bytes " << ::testing::PrintToString(s);
    if (IsNfcQuick(s)) {
      ASSERT_EQ(want, s);
    }
    changed += want != s;
  }
  EXPECT_GT(changed, 3000);  // the inputs really exercise normalization (about 4,200 change)
}

// The oracle's own NFC on probes of every character that normalization can touch, up to Unicode
// 17 (goldens/nfc_probes.jsonl, tools/tokenizer/gen_goldens.js).
TEST(Nfc, MatchesHuggingFaceOnEveryNormalizingCharacter) {
  const auto rows =
      testing::ReadJsonl(testing::SourcePath("tests/data/tokenizer/goldens/nfc_probes.jsonl"));
  ASSERT_GT(rows.size(), 15000u);
  int bad = 0;
  for (const auto& row : rows) {
    const std::string in = row["in"].get<std::string>();
    if (Nfc(in) != row["nfc"].get<std::string>() && ++bad <= 10) {
      ADD_FAILURE() << row.dump() << " ours " << ::testing::PrintToString(Nfc(in));
    }
  }
  EXPECT_EQ(bad, 0);
}

// HF's normalizer predates these characters, so it neither composes nor reorders them.
TEST(Nfc, LeavesPostUnicode9CharactersAlone) {
  for (const char* s : {"\U00011935\U00011930", "\U00016D67\U00016D67", "\U000113C2\U000113C2",
                        "a\u1AC1\u0316", "a\u1DF6\u0316", "a\u0898\u0316", "\U000105D2\u0307"}) {
    EXPECT_EQ(Nfc(s), s);
  }
  EXPECT_EQ(Nfc("a\u0316\u1AC1"), "a\u0316\u1AC1");
  EXPECT_EQ(Nfc("a\u0301\u0316"), "\u00E1\u0316");  // U+0316 (ccc 220) sorts first, then composes
  EXPECT_EQ(Nfc("e\u0301"), "\u00E9");
  EXPECT_EQ(Nfc("\u2126"), "\u03A9");              // singleton
  EXPECT_EQ(Nfc("\u0958"), "\u0915\u093C");        // composition exclusion
  EXPECT_EQ(Nfc("\u1100\u1161\u11A8"), "\uAC01");  // Hangul L V T
  EXPECT_EQ(Nfc("\u0F73"), "\u0F71\u0F72");
}

TEST(Nfc, SpansAreOrderedAndCoverTheText) {
  const std::string s = "x\u0958e\u0301 \u05AD\u0DCA y\u2126";
  std::vector<ByteSpan> spans;
  const std::string out = Nfc(s, &spans);
  ASSERT_EQ(spans.size(), out.size());
  uint32_t covered = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_LT(spans[i].begin, spans[i].end);
    if (i > 0) {
      EXPECT_GE(spans[i].begin, spans[i - 1].begin);
    }
    if (spans[i].begin >= covered) {
      EXPECT_EQ(spans[i].begin, covered) << "gap before output byte " << i;
      covered = spans[i].end;
    }
    covered = std::max(covered, spans[i].end);
  }
  EXPECT_EQ(covered, s.size());
  // "e\u0301" composes into one character whose bytes cover both input characters.
  const size_t e = out.find("\u00E9");
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(s.substr(spans[e].begin, spans[e].end - spans[e].begin), "e\u0301");
}

TEST(Nfc, AsciiIsQuick) {
  EXPECT_TRUE(IsNfcQuick("plain ASCII text\n\t"));
  EXPECT_TRUE(IsNfcQuick("\u00E9t\u00E9 \u65E5\u672C"));  // precomposed, CJK
  EXPECT_FALSE(IsNfcQuick("e\u0301"));
  EXPECT_EQ(NfcUnicodeVersion(), "9.0");
}

}  // namespace
}  // namespace haloguard::tokenizer
