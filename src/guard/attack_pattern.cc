// Attack-overlay pattern language: parser (pattern text -> syntax tree) and Thompson
// construction (syntax tree -> NFA states in a PatternSet). Matching is attack_match.cc.
#include "guard/attack_pattern.h"

#include <algorithm>
#include <utility>

#include "guard/attack_text.h"

namespace haloguard::guard::internal {
namespace {

using WordTest = PatternSet::WordTest;
using State = PatternSet::State;

struct Node {
  enum class Kind { kSeq, kAlt, kWord, kGap };
  Kind kind = Kind::kSeq;
  std::vector<Node> kids;  // kSeq items / kAlt alternatives
  WordTest word;           // kWord
  int min = 0, max = 0;    // kGap
  bool optional = false;
};

bool IsMeta(char c) { return std::string_view("()|?{}*").find(c) != std::string_view::npos; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Recursive descent; recursion depth is bounded by kMaxNesting groups.
class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  StatusOr<Node> Parse() {
    HG_ASSIGN_OR_RETURN(Node n, ParseAlt());
    if (i_ < p_.size()) return Error("expected end of pattern or '|', got " + Got());
    return n;
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgumentError("at byte " + std::to_string(i_) + ": " + what);
  }
  std::string Got() const {
    if (i_ >= p_.size()) return "end of pattern";
    std::string got = "'";
    got += p_[i_];
    got += '\'';
    return got;
  }
  void SkipSpace() {
    while (i_ < p_.size() && IsSpace(p_[i_])) ++i_;
  }

  StatusOr<Node> ParseAlt() {
    Node alt{.kind = Node::Kind::kAlt};
    for (;;) {
      HG_ASSIGN_OR_RETURN(Node seq, ParseSeq());
      alt.kids.push_back(std::move(seq));
      if (i_ >= p_.size() || p_[i_] != '|') break;
      ++i_;
    }
    if (alt.kids.size() == 1) return std::move(alt.kids[0]);
    return alt;
  }

  StatusOr<Node> ParseSeq() {
    Node seq{.kind = Node::Kind::kSeq};
    for (SkipSpace(); i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')'; SkipSpace()) {
      const char c = p_[i_];
      if (c == '(') {
        HG_ASSIGN_OR_RETURN(Node g, ParseGroup());
        seq.kids.push_back(std::move(g));
      } else if (c == '{') {
        HG_ASSIGN_OR_RETURN(Node g, ParseGap());
        seq.kids.push_back(std::move(g));
      } else if (c == '?' || c == '}') {
        return Error("expected a word, '(' or '{', got " + Got() +
                     "; hint: '?' may only follow ')': write (word)? for an optional word, "
                     "word* for a prefix");
      } else {
        HG_RETURN_IF_ERROR(ParseLiteral(&seq.kids));
      }
    }
    if (seq.kids.empty()) return Error("expected a word, '(' or '{', got " + Got());
    return seq;
  }

  StatusOr<Node> ParseGroup() {
    if (++depth_ > kMaxNesting) {
      return Error("groups nested deeper than " + std::to_string(kMaxNesting));
    }
    ++i_;  // '('
    HG_ASSIGN_OR_RETURN(Node alt, ParseAlt());
    if (i_ >= p_.size() || p_[i_] != ')') return Error("expected ')', got " + Got());
    ++i_;
    --depth_;
    if (i_ < p_.size() && p_[i_] == '?') {
      alt.optional = true;
      ++i_;
    }
    return alt;
  }

  // Reads a decimal number of at most 3 digits at i_.
  bool ReadInt(int* out) {
    size_t start = i_;
    int v = 0;
    while (i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '9' && i_ - start < 3) {
      v = v * 10 + (p_[i_++] - '0');
    }
    *out = v;
    return i_ > start;
  }

  StatusOr<Node> ParseGap() {
    ++i_;  // '{'
    Node g{.kind = Node::Kind::kGap};
    if (!ReadInt(&g.min)) return Error("expected a number after '{', got " + Got());
    g.max = g.min;
    if (i_ < p_.size() && p_[i_] == ',') {
      ++i_;
      if (!ReadInt(&g.max)) return Error("expected a number after ',', got " + Got());
    }
    if (i_ >= p_.size() || p_[i_] != '}') return Error("expected '}', got " + Got());
    ++i_;
    if (g.max < g.min || g.max < 1 || g.max > kMaxGap) {
      return Error("expected a gap {m,n} with 0 <= m <= n, 1 <= n <= " + std::to_string(kMaxGap) +
                   ", got {" + std::to_string(g.min) + "," + std::to_string(g.max) + "}");
    }
    return g;
  }

  Status ParseLiteral(std::vector<Node>* items);

  std::string_view p_;
  size_t i_ = 0;
  int depth_ = 0;
};

Status Parser::ParseLiteral(std::vector<Node>* items) {
  const bool lead = p_[i_] == '*';
  if (lead) ++i_;
  const size_t begin = i_;
  while (i_ < p_.size() && !IsSpace(p_[i_]) && !IsMeta(p_[i_])) ++i_;
  const std::string_view lit = p_.substr(begin, i_ - begin);
  const bool trail = i_ < p_.size() && p_[i_] == '*';
  if (trail) ++i_;
  if (lit.empty()) return Error("'*' must touch a word (word*, *word); use {0,1} for a gap");
  std::vector<Node> words;
  TokenStream stream(lit);
  for (TextToken tok; stream.Next(&tok);) {
    if (tok.truncated) {
      return Error("word longer than " + std::to_string(kMaxTokenBytes) + " bytes in \"" +
                   std::string(lit) + "\"");
    }
    words.push_back(Node{.kind = Node::Kind::kWord, .word = {.text = std::string(tok.text)}});
  }
  if (words.empty()) {
    return Error("literal \"" + std::string(lit) + "\" has no letters or digits");
  }
  using K = WordTest::Kind;
  WordTest& first = words.front().word;
  WordTest& last = words.back().word;
  if (lead) first.kind = K::kSuffix;
  if (trail) last.kind = (lead && words.size() == 1) ? K::kContains : K::kPrefix;
  for (Node& w : words) items->push_back(std::move(w));
  return OkStatus();
}

// ---- Structural checks on the tree (bounded recursion, like the parser) ----

bool CanBeEmpty(const Node& n) {
  if (n.optional) return true;
  switch (n.kind) {
    case Node::Kind::kWord: return false;
    case Node::Kind::kGap: return n.min == 0;
    case Node::Kind::kAlt:
      for (const Node& k : n.kids) if (CanBeEmpty(k)) return true;
      return false;
    case Node::Kind::kSeq:
      for (const Node& k : n.kids) if (!CanBeEmpty(k)) return false;
      return true;
  }
  return false;
}

// Whether the first (from_end: last) token a match of `n` consumes can be a gap token.
bool EdgeCanBeGap(const Node& n, bool from_end) {
  switch (n.kind) {
    case Node::Kind::kWord: return false;
    case Node::Kind::kGap: return true;
    case Node::Kind::kAlt:
      for (const Node& k : n.kids) if (EdgeCanBeGap(k, from_end)) return true;
      return false;
    case Node::Kind::kSeq:
      for (size_t j = 0; j < n.kids.size(); ++j) {
        const Node& k = n.kids[from_end ? n.kids.size() - 1 - j : j];
        if (EdgeCanBeGap(k, from_end)) return true;
        if (!CanBeEmpty(k)) return false;
      }
      return false;
  }
  return false;
}

}  // namespace

// Appends NFA states for one pattern to a PatternSet (Thompson construction, built backwards
// from the accept state so that no patch lists are needed).
class PatternCompiler {
 public:
  PatternCompiler(PatternSet* set, uint32_t pattern) : set_(set), pattern_(pattern) {}

  uint32_t Emit(const Node& n, uint32_t next) {
    uint32_t entry = next;
    switch (n.kind) {
      case Node::Kind::kWord: entry = AddState(State::Kind::kWord, AddClass({&n.word}), next); break;
      case Node::Kind::kSeq:
        for (size_t j = n.kids.size(); j-- > 0;) entry = Emit(n.kids[j], entry);
        break;
      case Node::Kind::kAlt:
        if (std::vector<const WordTest*> words = SingleWords(n); !words.empty()) {
          entry = AddState(State::Kind::kWord, AddClass(words), next);
          break;
        }
        entry = Emit(n.kids.back(), next);
        for (size_t j = n.kids.size() - 1; j-- > 0;) entry = AddSplit(Emit(n.kids[j], next), entry);
        break;
      case Node::Kind::kGap:
        for (int j = n.min; j < n.max; ++j) {
          entry = AddSplit(AddState(State::Kind::kAny, 0, entry), next);
        }
        for (int j = 0; j < n.min; ++j) entry = AddState(State::Kind::kAny, 0, entry);
        break;
    }
    return n.optional ? AddSplit(entry, next) : entry;
  }

  uint32_t AddState(State::Kind kind, uint32_t arg, uint32_t out) {
    set_->states_.push_back(State{.kind = kind, .arg = arg, .out = out});
    set_->pattern_of_.push_back(pattern_);
    return static_cast<uint32_t>(set_->states_.size() - 1);
  }

  // Registers the first word states reachable from `entry` as the pattern's start states.
  void RegisterStarts(uint32_t entry) {
    std::vector<uint32_t> stack = {entry};
    std::vector<uint32_t> seen;
    while (!stack.empty()) {
      const uint32_t s = stack.back();
      stack.pop_back();
      if (std::find(seen.begin(), seen.end(), s) != seen.end()) continue;
      seen.push_back(s);
      const State& st = set_->states_[s];
      if (st.kind == State::Kind::kSplit) {
        stack.push_back(st.out1);
        stack.push_back(st.out);
        continue;
      }
      HG_CHECK(st.kind == State::Kind::kWord) << "pattern start must be a word";
      const PatternSet::WordClass& c = set_->classes_[st.arg];
      for (uint32_t id : c.exact_ids) set_->starts_by_id_[id].push_back(s);
      for (uint32_t a = 0; a < c.affixes.size(); ++a) {
        const WordTest& w = c.affixes[a];
        const PatternSet::AffixStart start{s, a};
        if (w.kind == WordTest::Kind::kPrefix) {
          set_->starts_by_first_byte_[static_cast<uint8_t>(w.text.front())].push_back(start);
        } else if (w.kind == WordTest::Kind::kSuffix) {
          set_->starts_by_last_byte_[static_cast<uint8_t>(w.text.back())].push_back(start);
        } else {
          set_->starts_infix_.push_back(start);
        }
      }
    }
  }

 private:
  uint32_t AddSplit(uint32_t a, uint32_t b) {
    uint32_t s = AddState(State::Kind::kSplit, 0, a);
    set_->states_[s].out1 = b;
    return s;
  }

  // The words of an alternative group whose every branch is one plain word; empty otherwise.
  static std::vector<const WordTest*> SingleWords(const Node& alt) {
    std::vector<const WordTest*> words;
    for (const Node& k : alt.kids) {
      const Node* w = (k.kind == Node::Kind::kSeq && k.kids.size() == 1) ? &k.kids[0] : &k;
      if (w->kind != Node::Kind::kWord || w->optional || k.optional) return {};
      words.push_back(&w->word);
    }
    return words;
  }

  uint32_t AddClass(const std::vector<const WordTest*>& words) {
    PatternSet::WordClass c;
    for (const WordTest* w : words) {
      if (w->kind != WordTest::Kind::kExact) {
        c.affixes.push_back(*w);
        continue;
      }
      auto [it, inserted] = set_->exact_ids_.try_emplace(w->text, set_->exact_ids_.size());
      if (inserted) set_->starts_by_id_.emplace_back();
      c.exact_ids.push_back(it->second);
    }
    std::sort(c.exact_ids.begin(), c.exact_ids.end());
    c.exact_ids.erase(std::unique(c.exact_ids.begin(), c.exact_ids.end()), c.exact_ids.end());
    set_->classes_.push_back(std::move(c));
    return static_cast<uint32_t>(set_->classes_.size() - 1);
  }

  PatternSet* set_;
  uint32_t pattern_;
};

StatusOr<size_t> PatternSet::Add(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) {
    return InvalidArgumentError("pattern of " + std::to_string(pattern.size()) +
                                " bytes; expected at most " + std::to_string(kMaxPatternBytes));
  }
  HG_ASSIGN_OR_RETURN(Node root, Parser(pattern).Parse());
  if (CanBeEmpty(root)) {
    return InvalidArgumentError("pattern can match zero words; expected at least one required word");
  }
  if (EdgeCanBeGap(root, false) || EdgeCanBeGap(root, true)) {
    return InvalidArgumentError("pattern starts or ends with a gap; expected a word at both ends");
  }
  const size_t states_before = states_.size(), classes_before = classes_.size();
  const auto index = static_cast<uint32_t>(num_patterns_);
  PatternCompiler compiler(this, index);
  const uint32_t accept = compiler.AddState(State::Kind::kAccept, index, 0);
  const uint32_t entry = compiler.Emit(root, accept);
  if (states_.size() > kMaxTotalStates) {
    states_.resize(states_before);
    pattern_of_.resize(states_before);
    classes_.resize(classes_before);
    return ResourceExhaustedError("patterns need more than " + std::to_string(kMaxTotalStates) +
                                  " NFA states; expected smaller rule sets");
  }
  compiler.RegisterStarts(entry);
  ++num_patterns_;
  return static_cast<size_t>(index);
}

}  // namespace haloguard::guard::internal
