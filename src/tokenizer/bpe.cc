// Merge table (open addressing, linear probing) and two equivalent merge loops: an O(n^2) scan
// with cached pair ranks for short pieces (nearly all of them), and a heap for long ones.
#include "tokenizer/bpe.h"

#include <algorithm>
#include <queue>

#include "core/check.h"

namespace haloguard::tokenizer {
namespace {

constexpr uint32_t kNoRank = ~uint32_t{0};
// Pieces up to this many bytes use the quadratic loop; the heap wins beyond (measured).
constexpr size_t kShortPieceBytes = 64;

uint64_t Key(int32_t left, int32_t right) {
  return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
}

size_t Hash(uint64_t key) {
  key ^= key >> 29;
  key *= 0xbf58476d1ce4e5b9ULL;
  key ^= key >> 32;
  return static_cast<size_t>(key);
}

struct Symbol {
  int32_t id;
  uint32_t begin, end;
};

void Emit(const std::vector<Symbol>& syms, std::vector<int32_t>* ids,
          std::vector<std::pair<uint32_t, uint32_t>>* ranges) {
  for (const Symbol& s : syms) {
    ids->push_back(s.id);
    if (ranges) ranges->emplace_back(s.begin, s.end);
  }
}

}  // namespace

void MergeTable::Reserve(size_t num_merges) {
  size_t cap = 16;
  while (cap < num_merges * 2) cap *= 2;
  if (cap <= slots_.size()) return;
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(cap, Slot{kEmpty, {}});
  size_ = 0;
  for (const Slot& s : old) {
    if (s.key != kEmpty) {
      Add(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFFu),
          s.merge.rank, s.merge.merged_id);
    }
  }
}

void MergeTable::Grow() { Reserve(std::max<size_t>(16, slots_.size())); }

void MergeTable::Add(int32_t left, int32_t right, uint32_t rank, int32_t merged_id) {
  HG_CHECK(left >= 0 && right >= 0 && merged_id >= 0);
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  const uint64_t key = Key(left, right);
  const size_t mask = slots_.size() - 1;
  for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
    if (slots_[i].key == key) {
      slots_[i].merge = {rank, merged_id};
      return;
    }
    if (slots_[i].key == kEmpty) {
      slots_[i] = {key, {rank, merged_id}};
      ++size_;
      return;
    }
  }
}

const MergeTable::Merge* MergeTable::Find(int32_t left, int32_t right) const {
  if (slots_.empty()) return nullptr;
  const uint64_t key = Key(left, right);
  const size_t mask = slots_.size() - 1;
  for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
    if (slots_[i].key == key) return &slots_[i].merge;
    if (slots_[i].key == kEmpty) return nullptr;
  }
}

namespace internal {

void BpeEncodeShort(const MergeTable& merges, const std::array<int32_t, 256>& byte_ids,
                    std::string_view piece, std::vector<int32_t>* ids,
                    std::vector<std::pair<uint32_t, uint32_t>>* ranges) {
  thread_local std::vector<Symbol> syms;
  thread_local std::vector<MergeTable::Merge> pair;  // pair[i]: merge of (syms[i], syms[i + 1])
  syms.clear();
  pair.clear();
  for (size_t i = 0; i < piece.size(); ++i) {
    syms.push_back({byte_ids[static_cast<uint8_t>(piece[i])], static_cast<uint32_t>(i),
                    static_cast<uint32_t>(i + 1)});
  }
  auto lookup = [&](size_t i) {
    const MergeTable::Merge* m = merges.Find(syms[i].id, syms[i + 1].id);
    return m ? *m : MergeTable::Merge{kNoRank, -1};
  };
  for (size_t i = 0; i + 1 < syms.size(); ++i) pair.push_back(lookup(i));
  while (!pair.empty()) {
    size_t best = 0;  // lowest rank, leftmost on ties
    for (size_t i = 1; i < pair.size(); ++i) {
      if (pair[i].rank < pair[best].rank) best = i;
    }
    if (pair[best].rank == kNoRank) break;
    syms[best].id = pair[best].merged_id;
    syms[best].end = syms[best + 1].end;
    syms.erase(syms.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    pair.erase(pair.begin() + static_cast<std::ptrdiff_t>(best));
    if (best > 0) pair[best - 1] = lookup(best - 1);
    if (best < pair.size()) pair[best] = lookup(best);
  }
  Emit(syms, ids, ranges);
}

// Symbols form a linked list indexed by their first byte; the heap holds candidate merges keyed
// by (rank, left position) and entries made stale by earlier merges are skipped when popped.
void BpeEncodeLong(const MergeTable& merges, const std::array<int32_t, 256>& byte_ids,
                   std::string_view piece, std::vector<int32_t>* ids,
                   std::vector<std::pair<uint32_t, uint32_t>>* ranges) {
  const auto n = static_cast<int32_t>(piece.size());
  std::vector<int32_t> id(n), next(n), prev(n);
  std::vector<uint32_t> end(n);
  for (int32_t i = 0; i < n; ++i) {
    id[i] = byte_ids[static_cast<uint8_t>(piece[i])];
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
    end[i] = static_cast<uint32_t>(i + 1);
  }
  using Entry = std::pair<uint32_t, int32_t>;  // (rank, left position)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  auto push = [&](int32_t left) {
    if (left < 0 || next[left] < 0) return;
    if (const MergeTable::Merge* m = merges.Find(id[left], id[next[left]]))
      heap.push({m->rank, left});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  std::vector<bool> dead(n, false);
  while (!heap.empty()) {
    const auto [r, left] = heap.top();
    heap.pop();
    if (dead[left] || next[left] < 0) continue;
    const int32_t right = next[left];
    const MergeTable::Merge* m = merges.Find(id[left], id[right]);
    if (!m || m->rank != r) continue;  // the pair changed since this entry was pushed
    id[left] = m->merged_id;
    end[left] = end[right];
    dead[right] = true;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    push(prev[left]);
    push(left);
  }
  for (int32_t i = 0; i >= 0 && i < n; i = next[i]) {
    ids->push_back(id[i]);
    if (ranges) ranges->emplace_back(static_cast<uint32_t>(i), end[i]);
  }
}

}  // namespace internal

void BpeEncode(const MergeTable& merges, const std::array<int32_t, 256>& byte_ids,
               std::string_view piece, std::vector<int32_t>* ids,
               std::vector<std::pair<uint32_t, uint32_t>>* ranges) {
  if (piece.size() <= kShortPieceBytes) {
    internal::BpeEncodeShort(merges, byte_ids, piece, ids, ranges);
  } else {
    internal::BpeEncodeLong(merges, byte_ids, piece, ids, ranges);
  }
}

}  // namespace haloguard::tokenizer
