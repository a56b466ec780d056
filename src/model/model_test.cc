// Forward-pass self-consistency on tiny random checkpoints: prefix snapshot + continuation ==
// whole sequence, forked states, batched == one by one, read-only scoring leaves the state
// untouched, selected logit rows == full-vocabulary columns, recurrent == chunked delta rule.
// (Agreement with the independent Python reference is tests/golden_test.cc.)
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/tolerance.h"
#include "model/qwen35.h"
#include "model/test_util.h"

namespace haloguard::model {
namespace {

struct Fixture {
  explicit Fixture(const std::string& config) {
    auto m = Model::Load(testing::MakeCheckpoint(config, 7));
    HG_CHECK(m.ok()) << m.status().ToString();
    model = std::move(*m);
  }
  std::unique_ptr<Model> model;
  ThreadPool pool{2};
};

std::vector<int32_t> Ids(int n, int vocab, int seed) {
  std::vector<int32_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = (i * 7919 + seed * 104729) % vocab;
  return ids;
}

// Logits of the last token after running `ids` in pieces of the given sizes.
std::vector<float> RunPieces(Fixture& f, const std::vector<int32_t>& ids,
                             const std::vector<int>& pieces, const ForwardOptions& opt = {}) {
  InferenceState st = f.model->NewState();
  std::vector<float> logits;
  size_t off = 0;
  for (int n : pieces) {
    SequenceInput in{&st, std::span<const int32_t>(ids.data() + off, n)};
    off += n;
    if (off == ids.size()) {
      in.logit_positions = {n - 1};
      in.logits = &logits;
    }
    std::span<SequenceInput> b(&in, 1);
    Status s = f.model->Forward(f.pool, b, opt);
    HG_CHECK(s.ok()) << s.ToString();
  }
  HG_CHECK(off == ids.size());
  return logits;
}

// Two fp32 evaluations of the same math in different association orders differ by at most
// ~2 x the probabilistic bound of the longest reduction chain: layers x (largest inner dim +
// sequence length) roundings, on logits of magnitude <= max|logit|.
double PairTolerance(const Model& m, int T, const std::vector<float>& ref) {
  const TextConfig& c = m.config();
  double mx = 0;
  for (float v : ref) mx = std::max(mx, double(std::fabs(v)));
  const double chain = double(c.num_hidden_layers) * (c.intermediate_size + c.hidden_size + T + 64);
  return 2 * ProbGamma(chain) * std::max(1.0, mx);
}

void ExpectClose(const std::vector<float>& a, const std::vector<float>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol) << "index " << i;
}

TEST(Model, PrefixThenContinuationEqualsWhole) {
  for (const char* cfg : {"tiny_gqa", "tiny_flat_untied"}) {
    Fixture f(cfg);
    const auto ids = Ids(150, static_cast<int>(f.model->config().vocab_size), 1);
    const auto whole = RunPieces(f, ids, {150});
    const double tol = PairTolerance(*f.model, 150, whole);
    ExpectClose(whole, RunPieces(f, ids, {37, 113}), tol);
    ExpectClose(whole, RunPieces(f, ids, {64, 1, 1, 84}), tol);
    ExpectClose(whole, RunPieces(f, ids, {149, 1}), tol);
  }
}

TEST(Model, RecurrentFormEqualsChunkedForm) {
  Fixture f("tiny_gqa");
  const auto ids = Ids(70, 1024, 2);
  const auto chunked = RunPieces(f, ids, {70});
  ForwardOptions rec;
  rec.delta_rule = kernels::DeltaRuleForm::kRecurrent;
  ExpectClose(chunked, RunPieces(f, ids, {70}, rec), PairTolerance(*f.model, 70, chunked));
}

TEST(Model, ForkedStatesContinueIndependently) {
  Fixture f("tiny_gqa");
  const auto ids = Ids(40, 1024, 3);
  InferenceState prefix = f.model->NewState();
  SequenceInput in{&prefix, std::span<const int32_t>(ids.data(), 30)};
  std::span<SequenceInput> b(&in, 1);
  ASSERT_TRUE(f.model->Forward(f.pool, b).ok());
  for (int rep = 0; rep < 2; ++rep) {  // the snapshot is reused, untouched
    InferenceState fork = f.model->NewState();
    fork.CopyFrom(prefix);
    std::vector<float> logits;
    SequenceInput cont{&fork, std::span<const int32_t>(ids.data() + 30, 10), true, {9}, {}, &logits};
    std::span<SequenceInput> cb(&cont, 1);
    ASSERT_TRUE(f.model->Forward(f.pool, cb).ok());
    EXPECT_EQ(fork.num_tokens(), 40);
    const auto whole = RunPieces(f, ids, {40});
    ExpectClose(whole, logits, PairTolerance(*f.model, 40, whole));
  }
  EXPECT_EQ(prefix.num_tokens(), 30);
}

TEST(Model, BatchedEqualsOneByOneWithRaggedLengths) {
  Fixture f("tiny_gqa");
  const std::vector<std::vector<int32_t>> seqs = {Ids(5, 1024, 4), Ids(70, 1024, 5), Ids(1, 1024, 6)};
  std::vector<InferenceState> states;
  for (size_t i = 0; i < seqs.size(); ++i) states.push_back(f.model->NewState());
  std::vector<std::vector<float>> logits(seqs.size());
  std::vector<SequenceInput> batch;
  for (size_t i = 0; i < seqs.size(); ++i) {
    SequenceInput in{&states[i], seqs[i]};
    in.logit_positions = {static_cast<int32_t>(seqs[i].size()) - 1};
    in.logits = &logits[i];
    batch.push_back(in);
  }
  ASSERT_TRUE(f.model->Forward(f.pool, batch).ok());
  for (size_t i = 0; i < seqs.size(); ++i) {
    const auto one = RunPieces(f, seqs[i], {static_cast<int>(seqs[i].size())});
    // Same ops on the same rows: token-parallel matmuls do not mix rows, so results are equal.
    ExpectClose(one, logits[i], PairTolerance(*f.model, 70, one));
    EXPECT_EQ(states[i].num_tokens(), static_cast<int64_t>(seqs[i].size()));
  }
}

TEST(Model, ReadOnlyScoringLeavesStateAndMatchesCommit) {
  Fixture f("tiny_gqa");
  const auto ids = Ids(20, 1024, 8);
  InferenceState base = f.model->NewState();
  SequenceInput in{&base, std::span<const int32_t>(ids.data(), 15)};
  std::span<SequenceInput> b(&in, 1);
  ASSERT_TRUE(f.model->Forward(f.pool, b).ok());
  InferenceState before = f.model->NewState();
  before.CopyFrom(base);
  // Two read-only continuations of the same base in one batch (the category trie does this).
  std::vector<float> l1, l2;
  std::vector<SequenceInput> batch = {
      {&base, std::span<const int32_t>(ids.data() + 15, 5), false, {0, 4}, {3, 9, 1000}, &l1},
      {&base, std::span<const int32_t>(ids.data() + 15, 2), false, {1}, {}, &l2}};
  ASSERT_TRUE(f.model->Forward(f.pool, batch).ok());
  EXPECT_EQ(base.num_tokens(), 15);
  EXPECT_EQ(base.BytesUsed(), before.BytesUsed());
  const auto whole = RunPieces(f, ids, {20});
  const double tol = PairTolerance(*f.model, 20, whole);
  const int rows[] = {3, 9, 1000};
  for (int r = 0; r < 3; ++r) EXPECT_NEAR(l1[3 + r], whole[rows[r]], tol);
  const auto upto17 = RunPieces(f, std::vector<int32_t>(ids.begin(), ids.begin() + 17), {17});
  ExpectClose(upto17, l2, tol);
  // Running again gives the same answer: nothing leaked into the base state.
  std::vector<float> again;
  SequenceInput in2{&base, std::span<const int32_t>(ids.data() + 15, 2), false, {1}, {}, &again};
  std::span<SequenceInput> b2(&in2, 1);
  ASSERT_TRUE(f.model->Forward(f.pool, b2).ok());
  EXPECT_EQ(again, l2);
}

TEST(Model, BadInputsAreErrors) {
  Fixture f("tiny_gqa");
  InferenceState st = f.model->NewState();
  std::vector<int32_t> bad = {1, 5000};
  SequenceInput in{&st, bad};
  std::span<SequenceInput> b(&in, 1);
  Status s = f.model->Forward(f.pool, b);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("token id 5000 out of range"), std::string::npos) << s.message();
  std::vector<int32_t> empty;
  SequenceInput e{&st, empty};
  std::span<SequenceInput> eb(&e, 1);
  EXPECT_FALSE(f.model->Forward(f.pool, eb).ok());
  std::vector<int32_t> ok = {1, 2};
  std::vector<SequenceInput> twice = {{&st, ok}, {&st, ok}};
  EXPECT_FALSE(f.model->Forward(f.pool, twice).ok());
  EXPECT_EQ(st.num_tokens(), 0);
}

}  // namespace
}  // namespace haloguard::model
