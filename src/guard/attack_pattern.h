// The attack-overlay pattern language: phrase patterns over normalised word tokens
// (attack_text.h), compiled to one Thompson NFA and matched in a single left-to-right pass.
// Safe by construction: no loops (every gap is bounded), no backreferences, no backtracking;
// matching costs O(tokens x live NFA states) time and O(states) memory, never recursion.
//
// Syntax (docs/ATTACK_OVERLAY.md):
//   ignore (all|any)? {0,3} (previous|prior) instruction*
//   word        a literal, normalised like the text ("Précédentes" == "precedentes"); a literal
//               that normalises to several tokens ("system-prompt", "忽略") is that token sequence
//   word*       prefix ("instruction*" matches "instructions"); *word suffix; *word* infix
//   (a|b c)     alternatives, each a sequence;  (...)? makes the group optional
//   {m,n} {n}   a gap of m..n arbitrary tokens (n <= kMaxGap); a CJK character is one token
// A pattern must start and end with a word and cannot match zero tokens.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace haloguard::guard::internal {

inline constexpr size_t kMaxPatternBytes = 4096;
inline constexpr int kMaxGap = 12;
inline constexpr int kMaxNesting = 8;
inline constexpr size_t kMaxTotalStates = size_t{1} << 20;

// A compiled set of patterns. Add() is not thread-safe; once built, FindFirst() is const and
// may run concurrently from any number of threads.
class PatternSet {
 public:
  // Compiles `pattern` and returns its index (0, 1, ...). Errors (INVALID_ARGUMENT): syntax
  // ("at byte N: expected X, got Y"), a literal with no letters or digits, a word longer than
  // kMaxTokenBytes, a gap over kMaxGap, nesting over kMaxNesting, a pattern that starts or ends
  // with a gap or can match nothing, kMaxPatternBytes or kMaxTotalStates exceeded.
  StatusOr<size_t> Add(std::string_view pattern);

  size_t size() const { return num_patterns_; }

  struct Hit {
    bool found = false;
    size_t begin = 0;  // byte span [begin, end) in the scanned text
    size_t end = 0;
  };
  // For each pattern, its first match in `text`: the one that ends earliest, and among those
  // the one that starts earliest. Result i belongs to pattern i.
  std::vector<Hit> FindFirst(std::string_view text) const;

  struct WordTest {
    enum class Kind : uint8_t { kExact, kPrefix, kSuffix, kContains };
    Kind kind = Kind::kExact;
    std::string text;  // normalised
  };
  // The words one NFA state accepts: a group of single-word alternatives "(a|b|c*)" compiles
  // to one state instead of a tree of splits, which keeps the live-state count per token low.
  struct WordClass {
    std::vector<uint32_t> exact_ids;  // sorted ids in exact_ids_
    std::vector<WordTest> affixes;    // prefix / suffix / infix words
  };
  struct State {
    enum class Kind : uint8_t { kWord, kAny, kSplit, kAccept };
    Kind kind = Kind::kAccept;
    uint32_t arg = 0;  // kWord: index in classes_; kAccept: pattern index
    uint32_t out = 0;
    uint32_t out1 = 0;  // kSplit only
  };

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  friend class PatternCompiler;
  friend class PatternMatcher;

  uint32_t ExactId(std::string_view word) const;  // kNoId if no pattern uses `word` exactly
  bool Test(const WordClass& c, std::string_view token, bool truncated, uint32_t id) const;
  static bool TestAffix(const WordTest& w, std::string_view token, bool truncated);

  static constexpr uint32_t kNoId = UINT32_MAX;
  size_t num_patterns_ = 0;
  std::vector<State> states_;
  std::vector<uint32_t> pattern_of_;  // [states] owning pattern
  std::vector<WordClass> classes_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> exact_ids_;
  // First word states of every pattern, indexed so that a token only meets the starts it may
  // match: exact words by id, prefixes by first byte, suffixes by last byte; infixes always.
  struct AffixStart {
    uint32_t state;
    uint32_t affix;  // index in the state's WordClass::affixes
  };
  std::vector<std::vector<uint32_t>> starts_by_id_;
  std::array<std::vector<AffixStart>, 256> starts_by_first_byte_;
  std::array<std::vector<AffixStart>, 256> starts_by_last_byte_;
  std::vector<AffixStart> starts_infix_;
};

}  // namespace haloguard::guard::internal
