// TwoStageTable<T>: a compact per-code-point lookup table (stage1 picks a 256-entry block,
// identical blocks are stored once). Built from a flat array; read-only afterwards, so safe to
// share.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace haloguard::tokenizer::internal {

inline constexpr uint32_t kNumCodePoints = 0x110000;

template <typename T>  // a trivially copyable value type
class TwoStageTable {
 public:
  // `flat` has one value per code point: [0x110000].
  explicit TwoStageTable(const std::vector<T>& flat) {
    std::unordered_map<std::string, uint16_t> seen;  // block bytes -> block index
    for (uint32_t b = 0; b < kNumCodePoints / kBlockSize; ++b) {
      const T* first = flat.data() + size_t{b} * kBlockSize;
      std::string key(reinterpret_cast<const char*>(first), kBlockSize * sizeof(T));
      auto [it, inserted] = seen.emplace(std::move(key), static_cast<uint16_t>(seen.size()));
      if (inserted) stage2_.insert(stage2_.end(), first, first + kBlockSize);
      stage1_[b] = it->second;
    }
  }
  // Value for `cp`; T{} beyond U+10FFFF.
  T Get(uint32_t cp) const {
    if (cp >= kNumCodePoints) return T{};
    return stage2_[(size_t{stage1_[cp >> kBlockBits]} << kBlockBits) | (cp & (kBlockSize - 1))];
  }

 private:
  static constexpr uint32_t kBlockBits = 8;
  static constexpr uint32_t kBlockSize = 1u << kBlockBits;
  std::array<uint16_t, kNumCodePoints / kBlockSize> stage1_{};
  std::vector<T> stage2_;
};

}  // namespace haloguard::tokenizer::internal
