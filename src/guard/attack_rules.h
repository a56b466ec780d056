// Attack-rule files (data/attack_rules.json and user extensions): JSON -> validated rule specs.
// Patterns are only checked for type here; attack.cc compiles them. Internal to the guard.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/status.h"
#include "guard/attack.h"
#include "guard/strict_json.h"

namespace haloguard::guard::internal {

struct RuleSpec {
  std::string id;
  AttackOverlay overlay = AttackOverlay::kNone;
  std::string description;
  std::vector<std::string> patterns;  // the rule fires when any of these matches...
  std::vector<std::string> context;   // ...and, if non-empty, any of these matches anywhere
  std::vector<std::string> match_examples;     // texts the rule must fire on
  std::vector<std::string> no_match_examples;  // texts the rule must not fire on
  JsonPath path;                               // "rules[i]" in its file, for messages
};

struct RuleFile {
  JsonSource src;  // src.text must outlive the RuleFile
  std::vector<RuleSpec> rules;
  std::vector<std::string> disable;  // ids of rules from earlier files to drop
};

// Limits that keep a rule file reviewable and cheap to compile.
inline constexpr size_t kMaxRuleFileBytes = 8u << 20;
inline constexpr size_t kMaxRuleIdBytes = 64;

// Parses and validates the structure of one rule file: keys, types, overlay names, id syntax
// ([a-z0-9._-], 1..64 bytes), non-empty descriptions and pattern lists. Errors: INVALID_ARGUMENT
// "name:line:column: rules[3].overlay: expected ..., got ...".
Status ParseRuleFile(const JsonSource& src, RuleFile* out);

}  // namespace haloguard::guard::internal
