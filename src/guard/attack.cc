// AttackDetector: merges the built-in and user rule files, compiles every pattern into one
// PatternSet, checks each rule's declared examples, and evaluates rules on input text.
#include "guard/attack.h"

#include <algorithm>

#include "core/mapped_file.h"
#include "guard/attack_pattern.h"
#include "guard/attack_rules.h"

namespace haloguard::embedded {
// data/attack_rules.json, compiled in by src/guard/CMakeLists.txt (cmake/embed_files.cmake).
std::string_view BuiltinAttackRulesData();
}  // namespace haloguard::embedded

namespace haloguard::guard {
namespace internal {

struct CompiledRules {
  struct Rule {
    std::string id;
    AttackOverlay overlay = AttackOverlay::kNone;
    std::vector<size_t> patterns;  // indices into `set`
    std::vector<size_t> context;
  };
  std::vector<Rule> rules;
  PatternSet set;
};

}  // namespace internal

namespace {

using internal::CompiledRules;
using internal::JsonError;
using internal::JsonPath;
using internal::JsonSource;
using internal::PatternSet;
using internal::RuleFile;
using internal::RuleSpec;

constexpr std::string_view kBuiltinName = "builtin:data/attack_rules.json";

struct Fired {
  size_t rule;
  PatternSet::Hit hit;
};

// Rules that fire on `text`, in rule order, each with its earliest-ending pattern hit.
std::vector<Fired> Evaluate(const CompiledRules& c, std::string_view text) {
  const std::vector<PatternSet::Hit> hits = c.set.FindFirst(text);
  std::vector<Fired> fired;
  for (size_t r = 0; r < c.rules.size(); ++r) {
    const CompiledRules::Rule& rule = c.rules[r];
    PatternSet::Hit best;
    for (size_t p : rule.patterns) {
      const PatternSet::Hit& h = hits[p];
      if (h.found && (!best.found || h.end < best.end || (h.end == best.end && h.begin < best.begin))) {
        best = h;
      }
    }
    if (!best.found) continue;
    const bool context_ok =
        rule.context.empty() ||
        std::any_of(rule.context.begin(), rule.context.end(), [&](size_t p) { return hits[p].found; });
    if (context_ok) fired.push_back(Fired{r, best});
  }
  return fired;
}

// Compiles `patterns` into c->set, appending their indices to *out.
Status CompilePatterns(const JsonSource& src, const JsonPath& path,
                       const std::vector<std::string>& patterns, CompiledRules* c,
                       std::vector<size_t>* out) {
  for (size_t j = 0; j < patterns.size(); ++j) {
    StatusOr<size_t> index = c->set.Add(patterns[j]);
    if (!index.ok()) {
      return JsonError(src, path.Index(j), "invalid pattern: " + index.status().message());
    }
    out->push_back(*index);
  }
  return OkStatus();
}

// Checks that each rule fires on its "match" examples and not on its "no_match" ones.
Status CheckExamples(const CompiledRules& c, const std::vector<std::pair<const RuleFile*, const RuleSpec*>>& active) {
  for (size_t r = 0; r < active.size(); ++r) {
    const auto& [file, spec] = active[r];
    const JsonPath ex = spec->path.Key("examples");
    auto fires = [&](const std::string& text) {
      const std::vector<Fired> fired = Evaluate(c, text);
      return std::any_of(fired.begin(), fired.end(), [&](const Fired& f) { return f.rule == r; });
    };
    for (size_t k = 0; k < spec->match_examples.size(); ++k) {
      if (!fires(spec->match_examples[k])) {
        return JsonError(file->src, ex.Key("match").Index(k),
                         "rule \"" + spec->id + "\" does not fire on this example; expected a match");
      }
    }
    for (size_t k = 0; k < spec->no_match_examples.size(); ++k) {
      if (fires(spec->no_match_examples[k])) {
        return JsonError(file->src, ex.Key("no_match").Index(k),
                         "rule \"" + spec->id + "\" fires on this example; expected no match");
      }
    }
  }
  return OkStatus();
}

// Applies each file's "disable" list to the rules before it, then appends its own rules.
StatusOr<std::vector<std::pair<const RuleFile*, const RuleSpec*>>> MergeRules(
    const std::vector<RuleFile>& files) {
  std::vector<std::pair<const RuleFile*, const RuleSpec*>> active;
  auto find = [&](const std::string& id) {
    return std::find_if(active.begin(), active.end(), [&](const auto& a) { return a.second->id == id; });
  };
  for (const RuleFile& f : files) {
    for (size_t k = 0; k < f.disable.size(); ++k) {
      auto it = find(f.disable[k]);
      if (it == active.end()) {
        return JsonError(f.src, JsonPath().Key("disable").Index(k),
                         "no earlier rule has id \"" + f.disable[k] +
                             "\"; expected the id of a built-in rule");
      }
      active.erase(it);
    }
    for (const RuleSpec& spec : f.rules) {
      if (find(spec.id) != active.end()) {
        return JsonError(f.src, spec.path.Key("id"),
                         "duplicate rule id \"" + spec.id +
                             "\"; expected ids unique across all rule files (to replace a "
                             "built-in rule, list its id in \"disable\")");
      }
      active.emplace_back(&f, &spec);
    }
  }
  return active;
}

StatusOr<std::shared_ptr<const CompiledRules>> Compile(const std::vector<RuleFile>& files) {
  HG_ASSIGN_OR_RETURN(auto active, MergeRules(files));
  auto c = std::make_shared<CompiledRules>();
  for (const auto& [file, spec] : active) {
    CompiledRules::Rule rule{.id = spec->id, .overlay = spec->overlay};
    HG_RETURN_IF_ERROR(CompilePatterns(file->src, spec->path.Key("patterns"), spec->patterns,
                                       c.get(), &rule.patterns));
    HG_RETURN_IF_ERROR(CompilePatterns(file->src, spec->path.Key("context"), spec->context,
                                       c.get(), &rule.context));
    c->rules.push_back(std::move(rule));
  }
  HG_RETURN_IF_ERROR(CheckExamples(*c, active));
  return std::shared_ptr<const CompiledRules>(std::move(c));
}

}  // namespace

std::string_view AttackOverlayName(AttackOverlay o) {
  switch (o) {
    case AttackOverlay::kJailbreak: return "jailbreak";
    case AttackOverlay::kPromptInjection: return "prompt_injection";
    case AttackOverlay::kNone: break;
  }
  return "none";
}

std::string_view BuiltinAttackRulesJson() {
  return embedded::BuiltinAttackRulesData();
}

AttackDetector::AttackDetector() : rules_(std::make_shared<CompiledRules>()) {}

AttackDetector::AttackDetector(std::shared_ptr<const CompiledRules> rules)
    : rules_(std::move(rules)) {}

StatusOr<AttackDetector> AttackDetector::FromJson(std::string_view rules_json,
                                                  std::string_view source_name,
                                                  bool with_builtin) {
  std::vector<RuleFile> files(with_builtin ? 2 : 1);
  if (with_builtin) {
    HG_RETURN_IF_ERROR(internal::ParseRuleFile(
        JsonSource{std::string(kBuiltinName), BuiltinAttackRulesJson()}, &files[0]));
  }
  HG_RETURN_IF_ERROR(
      internal::ParseRuleFile(JsonSource{std::string(source_name), rules_json}, &files.back()));
  HG_ASSIGN_OR_RETURN(std::shared_ptr<const CompiledRules> compiled, Compile(files));
  return AttackDetector(std::move(compiled));
}

StatusOr<AttackDetector> AttackDetector::Builtin() {
  static const StatusOr<AttackDetector> builtin =
      FromJson(BuiltinAttackRulesJson(), kBuiltinName, /*with_builtin=*/false);
  return builtin;
}

StatusOr<AttackDetector> AttackDetector::Load(const std::string& extra_rules_json_path) {
  if (extra_rules_json_path.empty()) return Builtin();
  StatusOr<std::string> text = ReadFileToString(extra_rules_json_path, internal::kMaxRuleFileBytes);
  if (!text.ok()) return text.status().WithPrefix("attack rules file " + extra_rules_json_path);
  return FromJson(*text, extra_rules_json_path, /*with_builtin=*/true);
}

AttackOverlay AttackDetector::Detect(std::string_view text,
                                     std::vector<AttackMatch>* matches) const {
  const std::vector<Fired> fired = Evaluate(*rules_, text);
  AttackOverlay overlay = AttackOverlay::kNone;
  for (const Fired& f : fired) {
    const AttackOverlay o = rules_->rules[f.rule].overlay;
    if (o == AttackOverlay::kJailbreak || overlay == AttackOverlay::kNone) overlay = o;
  }
  if (matches != nullptr) {
    matches->clear();
    for (const Fired& f : fired) {
      const CompiledRules::Rule& rule = rules_->rules[f.rule];
      matches->push_back(AttackMatch{rule.overlay, rule.id, f.hit.begin, f.hit.end});
    }
    std::stable_sort(matches->begin(), matches->end(),
                     [](const AttackMatch& a, const AttackMatch& b) { return a.begin < b.begin; });
  }
  return overlay;
}

std::vector<std::string> AttackDetector::rule_ids() const {
  std::vector<std::string> ids;
  for (const CompiledRules::Rule& r : rules_->rules) ids.push_back(r.id);
  return ids;
}

}  // namespace haloguard::guard
