// Language groups: the ISO 639 table, script detection on real sentences of each group, the
// Latin heuristics, and the generated Unicode table against Debian's Scripts.txt itself.
#include "eval/lang_groups.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace haloguard::eval {
namespace {

TEST(LangGroups, CodesMapToCardGroups) {
  const std::pair<const char*, LangGroup> cases[] = {
      {"en", LangGroup::kEnglish},
      {"EN-us", LangGroup::kEnglish},
      {"zh", LangGroup::kCjk},
      {"zh_Hant", LangGroup::kCjk},
      {"jpn", LangGroup::kCjk},
      {"ko", LangGroup::kCjk},
      {"hi", LangGroup::kIndic},
      {"bn", LangGroup::kIndic},
      {"ta", LangGroup::kIndic},
      {"ar", LangGroup::kArabicScript},
      {"fa", LangGroup::kArabicScript},
      {"ur", LangGroup::kArabicScript},
      {"fr", LangGroup::kEuropeanSemitic},
      {"pt-BR", LangGroup::kEuropeanSemitic},
      {"he", LangGroup::kEuropeanSemitic},
      {"ru", LangGroup::kEuropeanSemitic},
      {"tr", LangGroup::kEuropeanSemitic},
      {"vi", LangGroup::kSoutheastAsian},
      {"th", LangGroup::kSoutheastAsian},
      {"jv", LangGroup::kSoutheastAsian},
      {"fil", LangGroup::kSoutheastAsian},
      {"sw", LangGroup::kOther},
  };
  for (const auto& [code, group] : cases) {
    const auto g = LangGroupFromCode(code);
    ASSERT_TRUE(g.has_value()) << code;
    EXPECT_EQ(*g, group) << code << " -> " << LangGroupName(*g);
  }
  EXPECT_FALSE(LangGroupFromCode("xx").has_value());
  EXPECT_FALSE(LangGroupFromCode("").has_value());
}

TEST(LangGroups, NamesRoundTrip) {
  for (int i = 0; i < kNumLangGroups; ++i) {
    const auto g = static_cast<LangGroup>(i);
    StatusOr<LangGroup> back = ParseLangGroup(LangGroupName(g));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, g);
  }
  EXPECT_EQ(LangGroupName(LangGroup::kEuropeanSemitic), "European/Semitic");
  EXPECT_FALSE(ParseLangGroup("Klingon").ok());
}

TEST(LangGroups, DominantScriptOfRealSentences) {
  const std::pair<const char*, LangGroup> cases[] = {
      {"What is the capital of France?", LangGroup::kEnglish},
      {"今天北京的天气怎么样？", LangGroup::kCjk},
      {"東京でおすすめのラーメン屋を教えてください。", LangGroup::kCjk},
      {"서울에서 가볼 만한 박물관을 추천해 주세요.", LangGroup::kCjk},
      {"मुझे एक अच्छी किताब का सुझाव दीजिए।", LangGroup::kIndic},
      {"বাড়িতে কীভাবে রুটি তৈরি করা যায়?", LangGroup::kIndic},
      {"எனக்கு ஒரு நல்ல புத்தகம் பரிந்துரைக்கவும்", LangGroup::kIndic},
      {"ما هي عاصمة المغرب؟", LangGroup::kArabicScript},
      {"پایتخت ایران کجاست؟", LangGroup::kArabicScript},
      {"Как испечь домашний хлеб без дрожжей?", LangGroup::kEuropeanSemitic},
      {"שלום עולם, מה שלומך?", LangGroup::kEuropeanSemitic},
      {"Καλημέρα, τι κάνεις;", LangGroup::kEuropeanSemitic},
      {"Quelle est la meilleure façon d'apprendre le piano, s'il vous plaît ?",
       LangGroup::kEuropeanSemitic},
      {"Wie komme ich am schnellsten zum Bahnhof? Ich möchte früh ankommen.",
       LangGroup::kEuropeanSemitic},
      {"สวัสดีชาวโลก", LangGroup::kSoutheastAsian},
      {"Làm thế nào để nấu phở bò ngon?", LangGroup::kSoutheastAsian},
      {"ជំរាបសួរពិភពលោក", LangGroup::kSoutheastAsian},
      {"12345 !!! ???", LangGroup::kUnknown},
      {"", LangGroup::kUnknown},
  };
  for (const auto& [text, group] : cases) {
    EXPECT_EQ(LangGroupFromText(text), group)
        << text << " -> " << LangGroupName(LangGroupFromText(text));
  }
}

TEST(LangGroups, LatinHeuristicNeedsMoreThanOneAccent) {
  // One borrowed accented word in English stays English (needs >= 2 non-ASCII letters).
  EXPECT_EQ(LangGroupFromText("Meet me at the café near the station tomorrow morning."),
            LangGroup::kEnglish);
  // Romanian ă/ș are non-ASCII Latin but not Vietnamese-only letters.
  EXPECT_EQ(LangGroupFromText("Bună ziua, ce mai faceți astăzi?"), LangGroup::kEuropeanSemitic);
}

TEST(LangGroups, ResolvePrefersLangCode) {
  auto r = ResolveLangGroup("fr", "今天北京的天气怎么样？");
  EXPECT_EQ(r.group, LangGroup::kEuropeanSemitic);
  EXPECT_EQ(r.source, LangGroupSource::kLang);
  r = ResolveLangGroup("xx", "Hello there");
  EXPECT_EQ(r.group, LangGroup::kOther);  // unknown codes are not guessed into a group
  EXPECT_EQ(r.source, LangGroupSource::kLang);
  r = ResolveLangGroup("", "今天北京的天气怎么样？");
  EXPECT_EQ(r.group, LangGroup::kCjk);
  EXPECT_EQ(r.source, LangGroupSource::kScript);
  r = ResolveLangGroup("und", "Как дела?");
  EXPECT_EQ(r.group, LangGroup::kEuropeanSemitic);
  EXPECT_EQ(r.source, LangGroupSource::kScript);
  r = ResolveLangGroup("", "!!!");
  EXPECT_EQ(r.group, LangGroup::kUnknown);
  EXPECT_EQ(r.source, LangGroupSource::kNone);
}

TEST(LangGroups, InvalidUtf8IsReadAsReplacement) {
  EXPECT_EQ(LangGroupFromText("\xFF\xFE abc def"), LangGroup::kEnglish);
  EXPECT_EQ(LangGroupFromText("\xE4\xBD"), LangGroup::kUnknown);  // truncated sequence only
}

// The committed table must say exactly what the Unicode data says, for every code point the
// UCD file lists (Debian's unicode-data, installed by scripts/setup.sh).
TEST(UnicodeScripts, TableMatchesScriptsTxt) {
  const std::string path = "/usr/share/unicode/Scripts.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " missing: run scripts/setup.sh";
  std::set<std::string_view> tracked;
  for (size_t i = 1; i < kNumScripts; ++i) tracked.insert(ScriptName(static_cast<Script>(i)));
  std::ifstream in(path);
  std::string line, version;
  int64_t checked = 0;
  while (std::getline(in, line)) {
    if (line.rfind("# Scripts-", 0) == 0) version = line.substr(10, line.find(".txt") - 10);
    if (line.empty() || line[0] == '#') continue;
    const size_t semi = line.find(';');
    const std::string range = line.substr(0, line.find_first_of(" ;"));
    std::istringstream name_in(line.substr(semi + 1));
    std::string script;
    name_in >> script;
    const size_t dots = range.find("..");
    const uint32_t lo = std::stoul(range.substr(0, dots), nullptr, 16);
    const uint32_t hi =
        dots == std::string::npos ? lo : std::stoul(range.substr(dots + 2), nullptr, 16);
    const std::string_view want = tracked.count(script) ? std::string_view(script) : "Other";
    for (uint32_t cp = lo; cp <= hi; ++cp, ++checked) {
      ASSERT_EQ(ScriptName(ScriptOf(cp)), want) << std::hex << cp;
    }
  }
  EXPECT_EQ(version, kUnicodeScriptsVersion) << "regenerate with tools/eval/gen_unicode_scripts.py";
  EXPECT_GT(checked, 100000);
  EXPECT_EQ(ScriptOf(0x41), Script::kLatin);
  EXPECT_EQ(ScriptOf(0x4E2D), Script::kHan);
  EXPECT_EQ(ScriptOf(0x0F40), Script::kOther);  // Tibetan: not tracked
  EXPECT_EQ(ScriptOf(0x10FFFF), Script::kOther);
}

}  // namespace
}  // namespace haloguard::eval

namespace haloguard::eval {
namespace {

// Script detection against the `lang` codes of a real multilingual benchmark (MultiJail, read in
// place from the shared data, never copied). Latin-script languages other than English/French-
// like ones cannot be told apart by script (Swahili, Javanese, Italian without accents), so the
// check covers the non-Latin languages, where the script decides, and English.
TEST(LangGroups, ScriptAgreesWithLangOnMultiJail) {
  std::string path;
  for (const char* base : {HG_SOURCE_DIR "/../shared", HG_SOURCE_DIR "/../../shared"}) {
    const std::string p = std::string(base) + "/data/benchmarks/multijail.jsonl";
    if (std::filesystem::exists(p)) path = p;
  }
  if (path.empty()) GTEST_SKIP() << "shared benchmarks not present";
  std::ifstream in(path);
  std::string line;
  int64_t checked = 0, agree = 0;
  while (std::getline(in, line)) {
    const auto lang_at = line.find("\"lang\": \"");
    const auto text_at = line.find("\"text\": \"");
    if (lang_at == std::string::npos || text_at == std::string::npos) continue;
    const std::string lang = line.substr(lang_at + 9, 2);
    if (lang != "en" && lang != "zh" && lang != "ko" && lang != "ar" && lang != "bn" &&
        lang != "th") {
      continue;
    }
    // The text's raw JSON is enough for script counting (escapes are ASCII punctuation).
    const std::string text = line.substr(text_at + 9, line.find("\", \"label\"") - text_at - 9);
    ++checked;
    agree += LangGroupFromText(text) == *LangGroupFromCode(lang);
  }
  ASSERT_GT(checked, 1000);
  EXPECT_GE(static_cast<double>(agree) / static_cast<double>(checked), 0.99)
      << agree << " of " << checked;
}

}  // namespace
}  // namespace haloguard::eval
