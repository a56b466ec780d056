// Single-pass NFA simulation for PatternSet (Pike-VM style): one thread per live NFA state, so
// the work per token is bounded by the number of states, whatever the input looks like.
#include "guard/attack_pattern.h"

#include <algorithm>

#include "guard/attack_text.h"

namespace haloguard::guard::internal {

uint32_t PatternSet::ExactId(std::string_view word) const {
  auto it = exact_ids_.find(word);
  return it == exact_ids_.end() ? kNoId : it->second;
}

bool PatternSet::Test(const WordClass& c, std::string_view token, bool truncated,
                      uint32_t id) const {
  if (id != kNoId && std::binary_search(c.exact_ids.begin(), c.exact_ids.end(), id)) return true;
  for (const WordTest& w : c.affixes) {
    if (TestAffix(w, token, truncated)) return true;
  }
  return false;
}

bool PatternSet::TestAffix(const WordTest& w, std::string_view token, bool truncated) {
  switch (w.kind) {
    // A truncated token still has its true first kMaxTokenBytes bytes, and pattern words are
    // never longer, so only the prefix test can use it.
    case WordTest::Kind::kPrefix: return token.starts_with(w.text);
    case WordTest::Kind::kSuffix: return !truncated && token.ends_with(w.text);
    case WordTest::Kind::kContains: return !truncated && token.find(w.text) != std::string_view::npos;
    case WordTest::Kind::kExact: break;
  }
  return false;
}

// The per-call scratch of FindFirst; FindFirst itself stays const and thread-safe.
class PatternMatcher {
 public:
  explicit PatternMatcher(const PatternSet& set)
      : set_(set), mark_(set.states_.size(), 0), hits_(set.num_patterns_),
        remaining_(set.num_patterns_) {}

  std::vector<PatternSet::Hit> Run(std::string_view text) {
    TokenStream stream(text);
    TextToken tok;
    while (remaining_ > 0 && stream.Next(&tok)) Step(tok);
    return std::move(hits_);
  }

 private:
  using State = PatternSet::State;
  struct Thread {
    uint32_t state;
    size_t begin;  // byte offset where the thread's match began
  };

  void Step(const TextToken& tok) {
    if (++stamp_ == 0) {  // wrapped: forget every old mark
      std::fill(mark_.begin(), mark_.end(), 0);
      stamp_ = 1;
    }
    next_.clear();
    const uint32_t id = tok.truncated ? PatternSet::kNoId : set_.ExactId(tok.text);
    // Older threads first: when two threads reach one state, the earlier start wins.
    for (const Thread& th : threads_) {
      const State& st = set_.states_[th.state];
      if (hits_[set_.pattern_of_[th.state]].found) continue;
      if (st.kind == State::Kind::kAny || Matches(st, tok, id)) AddClosure(st.out, th.begin, tok.end);
    }
    if (id != PatternSet::kNoId) {
      for (uint32_t s : set_.starts_by_id_[id]) Start(s, tok);
    }
    if (!tok.text.empty()) {
      StartAffixes(set_.starts_by_first_byte_[static_cast<uint8_t>(tok.text.front())], tok);
      StartAffixes(set_.starts_by_last_byte_[static_cast<uint8_t>(tok.text.back())], tok);
    }
    StartAffixes(set_.starts_infix_, tok);
    threads_.swap(next_);
  }

  bool Matches(const State& st, const TextToken& tok, uint32_t id) const {
    return set_.Test(set_.classes_[st.arg], tok.text, tok.truncated, id);
  }

  void StartAffixes(const std::vector<PatternSet::AffixStart>& starts, const TextToken& tok) {
    for (const PatternSet::AffixStart& a : starts) {
      const PatternSet::WordTest& w = set_.classes_[set_.states_[a.state].arg].affixes[a.affix];
      if (PatternSet::TestAffix(w, tok.text, tok.truncated)) Start(a.state, tok);
    }
  }

  void Start(uint32_t s, const TextToken& tok) {
    if (!hits_[set_.pattern_of_[s]].found) AddClosure(set_.states_[s].out, tok.begin, tok.end);
  }

  // Follows splits from `s`; word/gap states become threads for the next token, an accept
  // records the pattern's first hit ending at `end`.
  void AddClosure(uint32_t s, size_t begin, size_t end) {
    stack_.push_back(s);
    while (!stack_.empty()) {
      const uint32_t cur = stack_.back();
      stack_.pop_back();
      if (mark_[cur] == stamp_) continue;
      mark_[cur] = stamp_;
      const State& st = set_.states_[cur];
      switch (st.kind) {
        case State::Kind::kSplit:
          stack_.push_back(st.out1);
          stack_.push_back(st.out);
          break;
        case State::Kind::kAccept: {
          PatternSet::Hit& h = hits_[st.arg];
          if (!h.found) {
            h = PatternSet::Hit{.found = true, .begin = begin, .end = end};
            --remaining_;
          }
          break;
        }
        default: next_.push_back(Thread{cur, begin}); break;
      }
    }
  }

  const PatternSet& set_;
  std::vector<uint32_t> mark_;  // [states] stamp of the step that last reached the state
  uint32_t stamp_ = 0;
  std::vector<Thread> threads_, next_;
  std::vector<uint32_t> stack_;
  std::vector<PatternSet::Hit> hits_;
  size_t remaining_;
};

std::vector<PatternSet::Hit> PatternSet::FindFirst(std::string_view text) const {
  return PatternMatcher(*this).Run(text);
}

}  // namespace haloguard::guard::internal
