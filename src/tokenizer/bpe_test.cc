// BPE merge loop: hand-worked merge orders, the merge table, the per-thread word cache, and the
// short (quadratic) and long (heap) loops agreeing on random pieces (tiny and Qwen3 merges).
#include "tokenizer/bpe.h"

#include <gtest/gtest.h>

#include <random>

#include "tokenizer/byte_level.h"
#include "tokenizer/test_util.h"
#include "tokenizer/word_cache.h"

namespace haloguard::tokenizer {
namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

std::array<int32_t, 256> IdentityBytes() {
  std::array<int32_t, 256> ids{};
  for (int b = 0; b < 256; ++b) ids[b] = b;
  return ids;
}

std::vector<int32_t> Encode(const MergeTable& m, std::string_view piece, bool long_loop,
                            Ranges* ranges = nullptr) {
  std::vector<int32_t> ids;
  if (long_loop)
    internal::BpeEncodeLong(m, IdentityBytes(), piece, &ids, ranges);
  else
    internal::BpeEncodeShort(m, IdentityBytes(), piece, &ids, ranges);
  return ids;
}

TEST(Bpe, LowestRankFirstLeftmostOnTies) {
  MergeTable m;
  m.Add('a', 'a', 0, 300);  // "aa"
  m.Add(300, 300, 1, 301);  // "aaaa"
  m.Add('a', 'b', 2, 302);  // "ab" ranks below "aa"
  for (bool long_loop : {false, true}) {
    EXPECT_EQ(Encode(m, "aaaa", long_loop), (std::vector<int32_t>{301}));
    EXPECT_EQ(Encode(m, "aaa", long_loop), (std::vector<int32_t>{300, 'a'}));
    EXPECT_EQ(Encode(m, "aab", long_loop), (std::vector<int32_t>{300, 'b'}));
    EXPECT_EQ(Encode(m, "xab", long_loop), (std::vector<int32_t>{'x', 302}));
    Ranges r;
    Encode(m, "aaaaab", long_loop, &r);
    EXPECT_EQ(r, (Ranges{{0, 4}, {4, 6}}));
    EXPECT_TRUE(Encode(m, "", long_loop).empty());
  }
}

TEST(Bpe, MergeTable) {
  MergeTable m;
  EXPECT_EQ(m.Find(1, 2), nullptr);
  for (int32_t i = 0; i < 5000; ++i) m.Add(i, i + 1, static_cast<uint32_t>(i), 100000 + i);
  m.Add(7, 8, 9999, 42);  // a repeated pair keeps the later entry, like HF's merge map
  EXPECT_EQ(m.size(), 5000u);
  ASSERT_NE(m.Find(7, 8), nullptr);
  EXPECT_EQ(m.Find(7, 8)->rank, 9999u);
  EXPECT_EQ(m.Find(7, 8)->merged_id, 42);
  EXPECT_EQ(m.Find(4999, 5000)->merged_id, 104999);
  EXPECT_EQ(m.Find(8, 7), nullptr);
}

// The two loops must agree exactly, ids and byte ranges, whatever the piece.
void CheckLoopsAgree(const TokenizerSpec& spec, uint32_t seed) {
  MergeTable m;
  for (size_t r = 0; r < spec.merges.size(); ++r) {
    m.Add(spec.merges[r].left, spec.merges[r].right, static_cast<uint32_t>(r),
          spec.merges[r].merged);
  }
  std::array<int32_t, 256> byte_ids{};
  for (size_t id = 0; id < spec.vocab.size(); ++id) {
    const std::string bytes = TokenStringToBytes(spec.vocab[id]);
    if (bytes.size() == 1) byte_ids[static_cast<uint8_t>(bytes[0])] = static_cast<int32_t>(id);
  }
  const std::string alphabet = "  eeettaaoinsrhldcu.,'\xC3\xA9\xE6\x97\xA5\n";
  std::mt19937 rng(seed);
  for (int n = 0; n < 3000; ++n) {
    std::string piece;
    const size_t len = 1 + rng() % 120;
    for (size_t k = 0; k < len; ++k) piece.push_back(alphabet[rng() % alphabet.size()]);
    std::vector<int32_t> a, b;
    Ranges ra, rb;
    internal::BpeEncodeShort(m, byte_ids, piece, &a, &ra);
    internal::BpeEncodeLong(m, byte_ids, piece, &b, &rb);
    ASSERT_EQ(a, b) << ::testing::PrintToString(piece);
    ASSERT_EQ(ra, rb);
  }
}

TEST(Bpe, ShortAndLongLoopsAgreeTiny) {
  auto spec =
      ReadTokenizerSpec(testing::SourcePath("tests/data/tiny_tokenizer/tokenizer.json"), "");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  CheckLoopsAgree(*spec, 1);
}

TEST(Bpe, ShortAndLongLoopsAgreeQwen3) {
  const std::string path = testing::SourcePath(testing::kQwen3Dir + "/tokenizer.json");
  if (!testing::Exists(path))
    GTEST_SKIP() << "Qwen3 tokenizer.json missing: run scripts/oracles.sh";
  auto spec = ReadTokenizerSpec(path, "");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  CheckLoopsAgree(*spec, 2);
}

}  // namespace
}  // namespace haloguard::tokenizer

namespace haloguard::tokenizer {
namespace {

TEST(WordCache, FindInsertAndResets) {
  internal::WordCache cache;
  cache.SetOwner(1);
  EXPECT_TRUE(cache.Find("hello").empty());
  const std::vector<int32_t> ids = {7, 8};
  cache.Insert("hello", ids);
  ASSERT_EQ(cache.Find("hello").size(), 2u);
  EXPECT_EQ(cache.Find("hello")[1], 8);
  EXPECT_TRUE(cache.Find("hell").empty());
  cache.SetOwner(1);  // same tokenizer: kept
  EXPECT_FALSE(cache.Find("hello").empty());
  cache.SetOwner(2);  // another tokenizer: dropped
  EXPECT_TRUE(cache.Find("hello").empty());
  // Past capacity everything is dropped and refilled; the newest entries stay findable.
  for (size_t n = 0; n < internal::WordCache::kMaxEntries + 10; ++n) {
    std::string key = "w";
    key += std::to_string(n);
    cache.Insert(key, std::vector<int32_t>{static_cast<int32_t>(n)});
    ASSERT_EQ(cache.Find(key)[0], static_cast<int32_t>(n));
  }
  EXPECT_TRUE(cache.Find("w0").empty());
}

}  // namespace
}  // namespace haloguard::tokenizer
