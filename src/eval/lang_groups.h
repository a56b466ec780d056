// Language groups of the model card's multilingual table (English, CJK, Indic, Arabic-script,
// European/Semitic, Southeast Asian), resolved from a `lang` code or, without one, from the
// dominant Unicode script of the text. Not a language identifier: see ResolveLangGroup.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"
#include "eval/unicode_scripts.h"

namespace haloguard::eval {

enum class LangGroup : uint8_t {
  kEnglish = 0,
  kCjk,
  kIndic,
  kArabicScript,
  kEuropeanSemitic,
  kSoutheastAsian,
  kOther,    // a known language outside the six groups (e.g. Swahili), or another script
  kUnknown,  // no lang code and no letters to decide by
};
inline constexpr int kNumLangGroups = 8;

// The card's spelling: "English", "CJK", "Indic", "Arabic-script", "European/Semitic",
// "Southeast Asian", plus "Other" and "Unknown".
std::string_view LangGroupName(LangGroup g);
// Inverse of LangGroupName (exact spelling). INVALID_ARGUMENT names the accepted values.
StatusOr<LangGroup> ParseLangGroup(std::string_view name);

// Where a resolved group came from: the row's `lang` code or the script of its text.
enum class LangGroupSource : uint8_t { kLang = 0, kScript, kNone };
std::string_view LangGroupSourceName(LangGroupSource s);  // "lang" | "script" | "none"
StatusOr<LangGroupSource> ParseLangGroupSource(std::string_view name);

// Maps an ISO 639-1 / 639-2 / 639-3 code, case-insensitive, with any region or script subtag
// ignored ("pt-BR", "zh_Hant" -> "pt", "zh"), to its group; kOther for codes in the table that
// belong to no card group; nullopt for codes not in the table. The table is in lang_groups.cc.
std::optional<LangGroup> LangGroupFromCode(std::string_view code);

// The Unicode Script of one code point (kOther for unlisted scripts and unassigned code points).
Script ScriptOf(uint32_t cp);

// Group of the dominant script of `text` (invalid UTF-8 is read as U+FFFD). Common and Inherited
// code points (digits, punctuation, combining marks) do not vote; letters vote for their script's
// group. Latin text is split heuristically, because the script alone cannot tell English from
// French: Vietnamese-only letters (U+01A0/01A1/01AF/01B0, U+1EA0..U+1EF9) making >= 3% of the
// Latin letters (and >= 2 of them) -> Southeast Asian; else non-ASCII Latin letters making >= 1%
// (and >= 2) -> European/Semitic; else English. Ties go to the non-Latin group. kUnknown when no
// letter votes.
LangGroup LangGroupFromText(std::string_view text);

struct ResolvedLangGroup {
  LangGroup group = LangGroup::kUnknown;
  LangGroupSource source = LangGroupSource::kNone;
};

// `lang` wins when present: a code in the table gives its group; an unknown code gives kOther
// (source kLang) rather than a guess. Without `lang` (or with "und", "mul", "zxx", "mis"), the
// script of `text` decides (source kScript; kNone when no letter votes).
ResolvedLangGroup ResolveLangGroup(std::string_view lang, std::string_view text);

}  // namespace haloguard::eval
