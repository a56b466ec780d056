// Language-group resolution: the ISO 639 code table and the dominant-script detector.
#include "eval/lang_groups.h"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>

#include "core/utf8.h"

namespace haloguard::eval {
namespace {

constexpr std::array<std::string_view, kNumLangGroups> kGroupNames = {
    "English",         "CJK",   "Indic",  "Arabic-script", "European/Semitic",
    "Southeast Asian", "Other", "Unknown"};

struct CodeGroup {
  std::string_view codes;  // space-separated ISO 639-1 / 639-2 (B and T) / 639-3 codes
  LangGroup group;
};

// The documented code table. Placement follows the card's group names: a language goes to the
// group of its script where the name is a script (Urdu, Persian, Pashto -> Arabic-script), else
// to its region/family. Turkish, Azerbaijani, Armenian and Georgian count as European; Amharic,
// Tigrinya, Hebrew and Maltese as Semitic. Central Asian, African (Swahili, Hausa, ...) and other
// languages the card's table does not name are kOther, never guessed into a group.
constexpr std::array<CodeGroup, 7> kCodeTable = {{
    {"en eng", LangGroup::kEnglish},
    {"zh zho chi cmn yue wuu hak nan gan hsn ja jpn ko kor", LangGroup::kCjk},
    {"hi hin bn ben mr mar gu guj pa pan ta tam te tel kn kan ml mal or ori ory as asm ne nep npi "
     "si sin sa san mai bho kok gom doi sat mni awa mag hne raj bpy",
     LangGroup::kIndic},
    {"ar ara arb arz ary arq apc apd acm ajp aeb ars fa fas per pes prs ur urd ps pus pbt pbu ug "
     "uig ckb sd snd ks kas bal skr pnb azb",
     LangGroup::kArabicScript},
    {"de deu ger fr fra fre es spa it ita pt por nl nld dut pl pol ru rus uk ukr be bel cs ces cze "
     "sk slk slo sl slv hr hrv sr srp bs bos bg bul mk mkd mac ro ron rum mo hu hun fi fin et est "
     "lv lav lt lit el ell gre sv swe da dan no nor nb nob nn nno is isl ice fo fao ga gle gd gla "
     "cy cym wel br bre eu eus baq ca cat gl glg oc oci co cos sq sqi alb mt mlt lb ltz fy fry af "
     "afr la lat eo epo rm roh sc srd tr tur az aze hy hye arm ka kat geo he heb yi yid am amh ti "
     "tir",
     LangGroup::kEuropeanSemitic},
    {"th tha vi vie id ind ms msa may zsm tl tgl fil jv jav su sun km khm lo lao my mya bur ceb "
     "ilo war min ban bug ace hil pam shn tet",
     LangGroup::kSoutheastAsian},
    {"sw swa swh ha hau yo yor zu zul xh xho ig ibo so som rw kin mg mlg ny nya sn sna st sot tn "
     "tsn wo wol ln lin om orm lg lug ak aka tw twi ee ewe kk kaz ky kir tg tgk tk tuk uz uzb mn "
     "mon bo bod tib dz dzo ht hat qu que gn grn mi mri sm smo to ton haw ku kur kmr",
     LangGroup::kOther},
}};

const std::unordered_map<std::string, LangGroup>& CodeMap() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<std::string, LangGroup>();
    for (const CodeGroup& row : kCodeTable) {
      size_t i = 0;
      while (i < row.codes.size()) {
        size_t j = row.codes.find(' ', i);
        if (j == std::string_view::npos) j = row.codes.size();
        const bool inserted = m->emplace(std::string(row.codes.substr(i, j - i)), row.group).second;
        HG_CHECK(inserted) << "lang_groups: duplicate code " << row.codes.substr(i, j - i);
        i = j + 1;
      }
    }
    return m;
  }();
  return *map;
}

LangGroup GroupOfScript(Script s) {
  switch (s) {
    case Script::kHan:
    case Script::kHiragana:
    case Script::kKatakana:
    case Script::kHangul:
    case Script::kBopomofo:
      return LangGroup::kCjk;
    case Script::kDevanagari:
    case Script::kBengali:
    case Script::kGurmukhi:
    case Script::kGujarati:
    case Script::kOriya:
    case Script::kTamil:
    case Script::kTelugu:
    case Script::kKannada:
    case Script::kMalayalam:
    case Script::kSinhala:
    case Script::kOlChiki:
    case Script::kMeeteiMayek:
      return LangGroup::kIndic;
    case Script::kArabic:
      return LangGroup::kArabicScript;
    case Script::kGreek:
    case Script::kCyrillic:
    case Script::kArmenian:
    case Script::kGeorgian:
    case Script::kHebrew:
    case Script::kSyriac:
    case Script::kEthiopic:
      return LangGroup::kEuropeanSemitic;
    case Script::kThai:
    case Script::kLao:
    case Script::kKhmer:
    case Script::kMyanmar:
    case Script::kJavanese:
    case Script::kBalinese:
    case Script::kSundanese:
    case Script::kTagalog:
    case Script::kBuginese:
    case Script::kTaiTham:
    case Script::kTaiViet:
    case Script::kCham:
    case Script::kBatak:
      return LangGroup::kSoutheastAsian;
    default:
      return LangGroup::kOther;
  }
}

bool IsVietnameseLetter(uint32_t cp) {
  return cp == 0x01A0 || cp == 0x01A1 || cp == 0x01AF || cp == 0x01B0 ||
         (cp >= 0x1EA0 && cp <= 0x1EF9);
}

// Letters that voted for Latin, split by how they narrow the language down.
struct LatinVotes {
  int64_t total = 0;
  int64_t non_ascii = 0;
  int64_t vietnamese = 0;
};

LangGroup LatinSubgroup(const LatinVotes& v) {
  if (v.vietnamese >= 2 && v.vietnamese * 100 >= v.total * 3) return LangGroup::kSoutheastAsian;
  if (v.non_ascii >= 2 && v.non_ascii * 100 >= v.total) return LangGroup::kEuropeanSemitic;
  return LangGroup::kEnglish;
}

}  // namespace

std::string_view LangGroupName(LangGroup g) {
  const auto i = static_cast<size_t>(g);
  HG_CHECK(i < kGroupNames.size()) << "bad LangGroup " << i;
  return kGroupNames[i];
}

StatusOr<LangGroup> ParseLangGroup(std::string_view name) {
  for (size_t i = 0; i < kGroupNames.size(); ++i)
    if (kGroupNames[i] == name) return static_cast<LangGroup>(i);
  return InvalidArgumentError(
      "lang_group: unknown group; expected one of English, CJK, Indic, "
      "Arabic-script, European/Semitic, Southeast Asian, Other, Unknown, "
      "got '" +
      std::string(name) + "'");
}

std::string_view LangGroupSourceName(LangGroupSource s) {
  switch (s) {
    case LangGroupSource::kLang:
      return "lang";
    case LangGroupSource::kScript:
      return "script";
    case LangGroupSource::kNone:
      return "none";
  }
  return "none";
}

StatusOr<LangGroupSource> ParseLangGroupSource(std::string_view name) {
  if (name == "lang") return LangGroupSource::kLang;
  if (name == "script") return LangGroupSource::kScript;
  if (name == "none") return LangGroupSource::kNone;
  return InvalidArgumentError("lang_group_source: expected 'lang', 'script' or 'none', got '" +
                              std::string(name) + "'");
}

std::optional<LangGroup> LangGroupFromCode(std::string_view code) {
  const size_t end = code.find_first_of("-_");
  std::string primary(code.substr(0, end));
  for (char& c : primary) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto& map = CodeMap();
  const auto it = map.find(primary);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

Script ScriptOf(uint32_t cp) {
  const ScriptRange* begin = kScriptRanges;
  const ScriptRange* end = kScriptRanges + kNumScriptRanges;
  const ScriptRange* it = std::upper_bound(
      begin, end, cp, [](uint32_t c, const ScriptRange& r) { return c < r.first; });
  if (it == begin) return Script::kOther;
  --it;
  return cp <= it->last ? it->script : Script::kOther;
}

LangGroup LangGroupFromText(std::string_view text) {
  const std::string clean = ValidateUtf8(text).ok() ? std::string(text) : SanitizeUtf8(text);
  std::array<int64_t, kNumLangGroups> votes{};
  LatinVotes latin;
  for (size_t i = 0; i < clean.size();) {
    const uint32_t cp = DecodeUtf8(clean, i);
    const Script s = ScriptOf(cp);
    if (s == Script::kCommon || s == Script::kInherited) continue;
    if (s == Script::kLatin) {
      ++latin.total;
      latin.non_ascii += cp >= 0x80;
      latin.vietnamese += IsVietnameseLetter(cp);
      continue;
    }
    ++votes[static_cast<size_t>(GroupOfScript(s))];
  }
  const auto best = std::max_element(votes.begin(), votes.end());  // first on ties
  if (*best == 0 && latin.total == 0) return LangGroup::kUnknown;
  if (latin.total > *best) return LatinSubgroup(latin);
  return static_cast<LangGroup>(best - votes.begin());
}

ResolvedLangGroup ResolveLangGroup(std::string_view lang, std::string_view text) {
  // ISO 639-2 special codes say "no single language": fall through to the script.
  const bool undetermined = lang == "und" || lang == "mul" || lang == "zxx" || lang == "mis";
  if (!lang.empty() && !undetermined) {
    return {LangGroupFromCode(lang).value_or(LangGroup::kOther), LangGroupSource::kLang};
  }
  const LangGroup g = LangGroupFromText(text);
  if (g == LangGroup::kUnknown) return {g, LangGroupSource::kNone};
  return {g, LangGroupSource::kScript};
}

}  // namespace haloguard::eval
