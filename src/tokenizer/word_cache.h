// WordCache: a per-thread memo of BPE results for short pieces, as an open-addressing table with
// the keys and ids in two arenas (no allocation per entry, no modulo by a prime). Not thread-safe:
// each thread owns one (tokenizer.cc keeps it thread_local), so Encode stays lock-free.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace haloguard::tokenizer::internal {

class WordCache {
 public:
  static constexpr size_t kMaxPieceBytes = 48;
  static constexpr size_t kMaxEntries = 1 << 14;  // then everything is dropped and refilled

  // The cached ids of `piece`, or an empty span if absent.
  std::span<const int32_t> Find(std::string_view piece) const {
    if (slots_.empty()) return {};
    const uint64_t h = Hash(piece);
    for (size_t i = h & Mask();; i = (i + 1) & Mask()) {
      const Slot& s = slots_[i];
      if (s.generation != generation_) return {};
      if (s.hash == h && s.key_len == piece.size() &&
          std::memcmp(keys_.data() + s.key_off, piece.data(), piece.size()) == 0) {
        return {ids_.data() + s.ids_off, s.ids_len};
      }
    }
  }

  // Remembers `ids` (non-empty) for `piece` (at most kMaxPieceBytes, not already present).
  void Insert(std::string_view piece, std::span<const int32_t> ids) {
    if (slots_.empty() || count_ >= kMaxEntries) Reset();
    const uint64_t h = Hash(piece);
    size_t i = h & Mask();
    while (slots_[i].generation == generation_) i = (i + 1) & Mask();
    slots_[i] = {h,
                 static_cast<uint32_t>(keys_.size()),
                 static_cast<uint32_t>(piece.size()),
                 static_cast<uint32_t>(ids_.size()),
                 static_cast<uint32_t>(ids.size()),
                 generation_};
    keys_.append(piece);
    ids_.insert(ids_.end(), ids.begin(), ids.end());
    ++count_;
  }

  // Empties the cache when it serves another tokenizer (`owner` is a unique tokenizer serial).
  void SetOwner(uint64_t owner) {
    if (owner == owner_) return;
    owner_ = owner;
    Reset();
  }

 private:
  struct Slot {
    uint64_t hash;
    uint32_t key_off, key_len, ids_off, ids_len;
    uint32_t generation;  // the slot is in use only if this is the cache's current generation
  };

  size_t Mask() const { return slots_.size() - 1; }

  // O(1) in the common case: bumping the generation empties every slot at once (threads that
  // alternate between tokenizers reset often).
  void Reset() {
    if (slots_.empty() || ++generation_ == 0) {
      generation_ = 1;
      slots_.assign(2 * kMaxEntries, Slot{0, 0, 0, 0, 0, 0});
    }
    keys_.clear();
    ids_.clear();
    count_ = 0;
  }

  // 8 bytes at a time, multiply-xorshift mixing; pieces are short.
  static uint64_t Hash(std::string_view s) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
      h ^= h >> 31;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, s.data() + i, s.size() - i);
    h = (h ^ tail) * 0x94D049BB133111EBULL;
    return h ^ (h >> 29);
  }

  std::vector<Slot> slots_;
  std::string keys_;
  std::vector<int32_t> ids_;
  size_t count_ = 0;
  uint32_t generation_ = 1;
  uint64_t owner_ = 0;
};

}  // namespace haloguard::tokenizer::internal
