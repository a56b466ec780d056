// Attack overlay: a transparent rule-based detector that labels an input `jailbreak`,
// `prompt_injection` or `none`. The model does not emit this label, and it never changes the
// safe/unsafe verdict. Rules are data (data/attack_rules.json, compiled into the binary; users
// add their own file); the rule format and pattern language are in docs/ATTACK_OVERLAY.md.
//
//   HG_ASSIGN_OR_RETURN(AttackDetector det, AttackDetector::Load(options.attack_rules_file));
//   std::vector<AttackMatch> why;
//   result.attack_overlay = AttackOverlayName(det.Detect(text, &why));
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace haloguard::guard {

enum class AttackOverlay { kNone, kJailbreak, kPromptInjection };

// "none" | "jailbreak" | "prompt_injection".
std::string_view AttackOverlayName(AttackOverlay o);

// One rule that fired, with the first match of its patterns.
struct AttackMatch {
  AttackOverlay overlay = AttackOverlay::kNone;
  std::string rule_id;
  size_t begin = 0, end = 0;  // byte span [begin, end) in the input
};

namespace internal {
struct CompiledRules;
}

// Immutable once built and cheap to copy (copies share the compiled rules).
class AttackDetector {
 public:
  // No rules: Detect always returns kNone.
  AttackDetector();

  // The rules compiled into the binary (data/attack_rules.json at build time). Compiled once per
  // process; later calls share the result. Errors only if the embedded rules are broken.
  static StatusOr<AttackDetector> Builtin();

  // Built-in rules plus the rules of a user file in the same format, which may also "disable"
  // built-in rules by id. "" means built-in only. Errors: NOT_FOUND / PERMISSION_DENIED (file),
  // INVALID_ARGUMENT naming "path:line:column: key" for bad JSON, unknown keys or overlays,
  // duplicate rule ids, invalid patterns, and rule examples that do not behave as declared.
  static StatusOr<AttackDetector> Load(const std::string& extra_rules_json_path);

  // Like Load, from JSON text; `with_builtin` = false compiles only `rules_json`.
  static StatusOr<AttackDetector> FromJson(std::string_view rules_json,
                                           std::string_view source_name = "rules",
                                           bool with_builtin = true);

  // Returns the overlay of the rules that fire on `text`: kJailbreak if any jailbreak rule fires,
  // else kPromptInjection if any prompt-injection rule fires, else kNone. If `matches` is given,
  // it is replaced by one entry per fired rule, ordered by match start. Accepts any bytes
  // (invalid UTF-8, NULs, megabytes of text) in one pass: O(input) time for a fixed rule set,
  // memory independent of the input size, no recursion. Thread-safe.
  AttackOverlay Detect(std::string_view text, std::vector<AttackMatch>* matches = nullptr) const;

  // Ids of the active rules, in evaluation order (built-in first, then user rules).
  std::vector<std::string> rule_ids() const;

 private:
  explicit AttackDetector(std::shared_ptr<const internal::CompiledRules> rules);
  std::shared_ptr<const internal::CompiledRules> rules_;
};

// The embedded data/attack_rules.json, byte for byte.
std::string_view BuiltinAttackRulesJson();

}  // namespace haloguard::guard
