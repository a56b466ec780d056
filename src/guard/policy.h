// Policy: turns p_unsafe and the top category into the verdict and the resolved action, from a
// JSON policy file (global threshold, per-category thresholds and actions). Format: docs/POLICY.md.
//
//   HG_ASSIGN_OR_RETURN(Policy policy, Policy::Load("policy.json"));
//   PolicyDecision d = policy.Decide(result.p_unsafe, top_label);  // d.unsafe, d.action, d.threshold
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "guard/result.h"

namespace haloguard::guard {
namespace internal {
struct PolicyReader;
}

// What a policy decided for one input.
struct PolicyDecision {
  bool unsafe = false;
  std::string action;       // "allow" | "block" | "review" | "log"
  double threshold = 0.65;  // the threshold that decided `unsafe`
};

// The four actions a policy may resolve to, in documentation order.
inline constexpr std::array<std::string_view, 4> kPolicyActions = {"allow", "block", "review",
                                                                   "log"};

// Immutable after construction; Decide is const and safe to call from any number of threads.
class Policy {
 public:
  // The category labels a policy may name: the guard prompt's (an empty list means the card's 29).
  using Categories = std::vector<std::string>;

  // Threshold `threshold` for every category, unsafe -> "block", safe -> "allow".
  // `threshold` must be in [0, 1] (HG_CHECK: callers validate user input with IsValidThreshold).
  static Policy Default(double threshold = 0.65, const Categories& categories = {});

  // Reads and parses a policy file. Errors: NOT_FOUND / PERMISSION_DENIED (file), and the
  // INVALID_ARGUMENT cases of Parse (messages start with "path:line:column:").
  static StatusOr<Policy> Load(const std::string& path, double default_threshold = 0.65,
                               const Categories& categories = {});

  // Parses policy JSON. `default_threshold` is the global threshold when the file has no
  // "threshold" key. Errors (INVALID_ARGUMENT, naming the key and its line:column): malformed
  // JSON, repeated or unknown keys, categories outside `categories`, unknown actions, thresholds
  // outside [0, 1] or of the wrong type, an invalid `default_threshold`.
  static StatusOr<Policy> Parse(std::string_view json_text, double default_threshold = 0.65,
                                std::string_view source_name = "policy",
                                const Categories& categories = {});

  // unsafe iff p_unsafe >= threshold(top_category): the category's own threshold when the
  // policy sets one, else the global one. Pass the highest-scoring label even when the global
  // verdict is safe, so that a stricter per-category threshold can still flag it; "none", ""
  // or any label outside the policy's categories use the global threshold. action = the category's action
  // (else the default unsafe action) when unsafe, the safe action when safe. A NaN p_unsafe
  // fails closed: unsafe, with the category's (or the default) unsafe action.
  PolicyDecision Decide(double p_unsafe, std::string_view top_category) const;

  double global_threshold() const { return threshold_; }

  // True for a finite value in [0, 1].
  static bool IsValidThreshold(double t);

 private:
  struct CategoryRule {
    bool has_threshold = false;
    double threshold = 0;
    std::string action;  // "" = the default unsafe action
  };

  friend struct internal::PolicyReader;  // policy.cc: fills categories_ from JSON

  double threshold_ = 0.65;
  std::string safe_action_ = "allow";
  std::string unsafe_action_ = "block";
  std::optional<size_t> Index(std::string_view label) const;

  std::vector<std::string> names_;         // the categories, guard prompt order
  std::vector<CategoryRule> categories_;  // one per name
};

}  // namespace haloguard::guard
