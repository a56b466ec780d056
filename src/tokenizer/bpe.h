// Byte-pair encoding on token ids: the merge table ((left, right) -> rank, merged id) and the
// merge loop of HF tokenizers' BPE model: repeatedly apply the lowest-rank merge present in the
// word, leftmost first among equal ranks. Knows nothing about text, JSON or added tokens.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace haloguard::tokenizer {

class MergeTable {
 public:
  struct Merge {
    uint32_t rank;
    int32_t merged_id;
  };

  // Reserves room for `num_merges` merges (call before Add, for speed only).
  void Reserve(size_t num_merges);
  // Adds the merge (left, right) -> merged_id with priority `rank` (lower merges first). A pair
  // added twice keeps the later entry, as HF's merge map does. Ids must be >= 0.
  void Add(int32_t left, int32_t right, uint32_t rank, int32_t merged_id);
  // The merge of (left, right), or nullptr. Lock-free reads; safe to share once built.
  const Merge* Find(int32_t left, int32_t right) const;
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key;
    Merge merge;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  void Grow();
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// Encodes one pre-tokenized piece of raw bytes. `byte_ids[b]` is the id of the single-byte token
// for byte b (all 256 must exist). Appends the ids to *ids and, when `ranges` is not null, each
// token's byte range [begin, end) within `piece`. Thread-safe for concurrent calls.
void BpeEncode(const MergeTable& merges, const std::array<int32_t, 256>& byte_ids,
               std::string_view piece, std::vector<int32_t>* ids,
               std::vector<std::pair<uint32_t, uint32_t>>* ranges);

namespace internal {
// The two merge loops BpeEncode picks between by piece length; exposed so tests can check that
// they agree. Same contract as BpeEncode.
void BpeEncodeShort(const MergeTable& merges, const std::array<int32_t, 256>& byte_ids,
                    std::string_view piece, std::vector<int32_t>* ids,
                    std::vector<std::pair<uint32_t, uint32_t>>* ranges);
void BpeEncodeLong(const MergeTable& merges, const std::array<int32_t, 256>& byte_ids,
                   std::string_view piece, std::vector<int32_t>* ids,
                   std::vector<std::pair<uint32_t, uint32_t>>* ranges);
}  // namespace internal

}  // namespace haloguard::tokenizer
