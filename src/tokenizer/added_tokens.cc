// Added-token matching: a first-byte filter, then the candidates starting with that byte, longest
// first (there are a few dozen added tokens, so a trie would not pay for itself).
#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace haloguard::tokenizer {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedTokenSpec>& tokens) {
  for (const AddedTokenSpec& t : tokens) {
    by_first_byte_[static_cast<uint8_t>(t.content[0])].push_back({t.content, t.id});
  }
  for (auto& list : by_first_byte_) {
    std::stable_sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) {
      return a.content.size() > b.content.size();
    });
  }
}

void AddedTokenMatcher::FindAll(std::string_view text, std::vector<Match>* out) const {
  for (size_t i = 0; i < text.size();) {
    const auto& candidates = by_first_byte_[static_cast<uint8_t>(text[i])];
    const Entry* hit = nullptr;
    for (const Entry& e : candidates) {
      if (text.compare(i, e.content.size(), e.content) == 0) {
        hit = &e;
        break;
      }
    }
    if (!hit) {
      ++i;
      continue;
    }
    out->push_back({i, i + hit->content.size(), hit->id});
    i += hit->content.size();
  }
}

}  // namespace haloguard::tokenizer
