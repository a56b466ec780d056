// Finds added tokens (<|im_start|>, <think>, ...) in raw text before normalization, the way HF's
// AddedVocabulary splits input: leftmost match first, the longest token among those starting there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace haloguard::tokenizer {

class AddedTokenMatcher {
 public:
  struct Match {
    size_t begin, end;  // byte range in the text
    int32_t id;
  };

  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(const std::vector<AddedTokenSpec>& tokens);

  // Appends every match in `text`, in order and non-overlapping. Thread-safe.
  void FindAll(std::string_view text, std::vector<Match>* out) const;

 private:
  struct Entry {
    std::string content;
    int32_t id;
  };
  std::vector<Entry> by_first_byte_[256];  // each list longest first
};

}  // namespace haloguard::tokenizer
