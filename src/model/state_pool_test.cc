// StatePool: leased states equal the prefix however they were used before, allocations are
// reused, and the spare count and kept size stay bounded.
#include "model/state_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "model/config.h"
#include "model/test_util.h"

namespace haloguard::model {
namespace {

TextConfig Tiny() {
  auto c = ParseConfig(testing::ReadTestFile("tests/data/configs/tiny_gqa.json"));
  HG_CHECK(c.ok()) << c.status().ToString();
  return *c;
}

int64_t FirstLinear(const TextConfig& c) {
  for (int64_t L = 0; L < c.num_hidden_layers; ++L)
    if (!c.is_full_attention(L)) return L;
  return -1;
}

int64_t FirstFull(const TextConfig& c) {
  for (int64_t L = 0; L < c.num_hidden_layers; ++L)
    if (c.is_full_attention(L)) return L;
  return -1;
}

// Writes `tokens` tokens of KV filled with `value` and sets the recurrent state to `value`.
void Use(const TextConfig& c, InferenceState& s, int64_t tokens, float value) {
  const int64_t full = FirstFull(c), lin = FirstLinear(c), row = c.num_key_value_heads * c.head_dim;
  std::fill_n(s.recurrent_state(lin), c.linear_num_value_heads * c.linear_key_head_dim * c.linear_value_head_dim, value);
  std::fill_n(s.k_append_slot(full, tokens), tokens * row, value);
  std::fill_n(s.v_append_slot(full, tokens), tokens * row, value);
  s.Advance(tokens);
}

void ExpectEqualsPrefix(const TextConfig& c, const InferenceState& s, const InferenceState& prefix) {
  const int64_t full = FirstFull(c), lin = FirstLinear(c), row = c.num_key_value_heads * c.head_dim;
  ASSERT_EQ(s.num_tokens(), prefix.num_tokens());
  const int64_t n = c.linear_num_value_heads * c.linear_key_head_dim * c.linear_value_head_dim;
  EXPECT_TRUE(std::equal(s.recurrent_state(lin), s.recurrent_state(lin) + n, prefix.recurrent_state(lin)));
  EXPECT_TRUE(std::equal(s.k_cache(full), s.k_cache(full) + prefix.num_tokens() * row, prefix.k_cache(full)));
  EXPECT_TRUE(std::equal(s.v_cache(full), s.v_cache(full) + prefix.num_tokens() * row, prefix.v_cache(full)));
}

TEST(StatePool, LeasedStatesEqualThePrefixAndAreReused) {
  const TextConfig c = Tiny();
  ASSERT_GE(FirstFull(c), 0);
  ASSERT_GE(FirstLinear(c), 0);
  InferenceState prefix(c);
  Use(c, prefix, 5, 0.5f);
  StatePool pool(prefix, 2, size_t{1} << 30);
  std::vector<const float*> released;
  {
    StatePool::Lease lease = pool.Acquire(3);
    ASSERT_EQ(lease.states().size(), 3u);
    for (InferenceState& s : lease.states()) {
      ExpectEqualsPrefix(c, s, prefix);
      Use(c, s, 7, 2.0f);  // diverge: more tokens, other state
    }
    for (InferenceState& s : lease.states()) released.push_back(s.recurrent_state(FirstLinear(c)));
  }
  EXPECT_EQ(pool.spare(), 2u);  // at most max_spare kept
  StatePool::Lease again = pool.Acquire(1);
  ExpectEqualsPrefix(c, again.states()[0], prefix);
  EXPECT_EQ(pool.spare(), 1u);
  // The kept states are the ones released (their allocations), not new copies.
  const float* got = again.states()[0].recurrent_state(FirstLinear(c));
  EXPECT_NE(std::find(released.begin(), released.end(), got), released.end());
}

TEST(StatePool, StatesOverTheKeptSizeAreFreed) {
  const TextConfig c = Tiny();
  InferenceState prefix(c);
  Use(c, prefix, 3, 1.0f);
  const size_t limit = InferenceState::FixedBytes(c) + InferenceState::KvBytesPerToken(c) * 16;
  StatePool pool(prefix, 4, limit);
  {
    StatePool::Lease lease = pool.Acquire(2);
    Use(c, lease.states()[0], 4, 1.0f);    // 7 tokens: kept
    Use(c, lease.states()[1], 100, 1.0f);  // 103 tokens of KV: over the limit
  }
  EXPECT_EQ(pool.spare(), 1u);
  StatePool::Lease moved = pool.Acquire(1);
  StatePool::Lease target(std::move(moved));  // a moved-from lease gives nothing back
  ExpectEqualsPrefix(c, target.states()[0], prefix);
}

}  // namespace
}  // namespace haloguard::model
