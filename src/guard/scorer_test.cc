// Windows, the label trie, and ModelScorer on a tiny random checkpoint: prefix cache == no cache,
// category distribution == brute-force scoring of every label path, generate mode.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/tolerance.h"
#include "guard/label_trie.h"
#include "guard/model_scorer.h"
#include "guard/priority_gate.h"
#include "guard/windows.h"
#include "model/test_util.h"

namespace haloguard::guard {
namespace {

TEST(Windows, CoverEveryTokenWithTheStride) {
  auto w = SplitWindows(1300, 1200, 256);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->size(), 2u);
  EXPECT_EQ((*w)[0].begin, 0);
  EXPECT_EQ((*w)[0].end, 1200);
  EXPECT_EQ((*w)[1].begin, 256);
  EXPECT_EQ((*w)[1].end, 1300);
  auto one = SplitWindows(1200, 1200, 256);
  ASSERT_EQ(one->size(), 1u);
  auto empty = SplitWindows(0, 1200, 256);
  ASSERT_EQ(empty->size(), 1u);
  EXPECT_EQ((*empty)[0].end, 0);
  auto many = SplitWindows(5000, 1200, 256);
  ASSERT_EQ(many->size(), 16u);  // starts 0..3840; 3840 + 1200 >= 5000
  EXPECT_EQ(many->back().begin, 3840);
  EXPECT_EQ(many->back().end, 5000);
  for (size_t i = 1; i < many->size(); ++i) EXPECT_EQ((*many)[i].begin - (*many)[i - 1].begin, 256);
  EXPECT_FALSE(SplitWindows(10, 0, 1).ok());
  EXPECT_FALSE(SplitWindows(10, 4, 5).ok());
}

TEST(LabelTrie, ProbabilitiesMultiplyAlongPaths) {
  // labels: [1,2], [1,3,4], [5]
  auto t = LabelTrie::Build({{1, 2}, {1, 3, 4}, {5}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->branching_nodes().size(), 2u);  // root {1,5} and node [1] {2,3}
  const float root[] = {0.0f, std::log(3.0f)};   // P(1) = 1/4, P(5) = 3/4
  const float n1[] = {std::log(2.0f), 0.0f};     // P(2|1) = 2/3
  auto p = t->LabelProbabilities([&](int node) { return node == 0 ? root : n1; });
  // The logits are log(2), log(3) rounded to fp32 (relative error u); a logit error e changes a
  // softmax probability by at most 2e relative. Products of two nodes: 4 u |log 3|.
  const double tol = 4 * kUnitRoundoffF32 * std::log(3.0);
  EXPECT_NEAR(p[0], 0.25 * 2 / 3, tol);
  EXPECT_NEAR(p[1], 0.25 / 3, tol);
  EXPECT_NEAR(p[2], 0.75, tol);
  EXPECT_EQ(t->GreedyLabel([&](int node) { return node == 0 ? root : n1; }), 2);
  EXPECT_FALSE(LabelTrie::Build({{1, 2}, {1}}).ok());
  EXPECT_FALSE(LabelTrie::Build({{1}, {1, 2}}).ok());
  EXPECT_FALSE(LabelTrie::Build({{1, 2}, {1, 2}}).ok());
  EXPECT_FALSE(LabelTrie::Build({{}}).ok());
}

TEST(LabelTrie, BranchingChainReachesEveryBranchingNodeOrIsEmpty) {
  // root {1, 5}, [1] {2, 3}, [1, 3] {4, 6}: one chain [1, 3].
  auto chain = LabelTrie::Build({{1, 2}, {1, 3, 4}, {1, 3, 6}, {5}});
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->BranchingChain(8), (std::vector<int32_t>{1, 3}));
  EXPECT_TRUE(chain->BranchingChain(1).empty());  // longer than allowed
  // [1] and [5] both branch: no single chain.
  auto two = LabelTrie::Build({{1, 2}, {1, 3}, {5, 6}, {5, 7}});
  ASSERT_TRUE(two.ok());
  EXPECT_TRUE(two->BranchingChain(8).empty());
  // Only the root branches: nothing to fold.
  auto flat = LabelTrie::Build({{1}, {2}, {3, 4}});
  ASSERT_TRUE(flat.ok());
  EXPECT_TRUE(flat->BranchingChain(8).empty());
}

// Synthetic prompt ids for the tiny vocabulary (the real ones come from the tokenizer).
GuardPromptIds SyntheticIds() {
  GuardPromptIds ids;
  for (int i = 0; i < 40; ++i) ids.prefix.push_back((i * 37 + 11) % 1000);
  ids.suffix = {900, 901, 902, 903, 904};
  ids.safe_id = 10;
  ids.unsafe_id = 20;
  ids.category_prefix = {20, 30, 40};
  // 29 labels sharing first tokens in groups, lengths 1..3, no label a prefix of another.
  for (int l = 0; l < 29; ++l) ids.category_labels.push_back({500 + l % 5, 600 + l, 700 + l % 2});
  ids.category_labels[28] = {999};
  ids.stop_ids = {905};
  return ids;
}

struct ScorerFixture {
  ScorerFixture() {
    auto m = model::Model::Load(model::testing::MakeCheckpoint("tiny_gqa", 5));
    HG_CHECK(m.ok()) << m.status().ToString();
    model = std::move(*m);
  }
  std::unique_ptr<model::Model> model;
  ThreadPool pool{2};
};

double Tol(double magnitude) { return 4 * ProbGamma(4.0 * (96 + 64 + 200)) * std::max(1.0, magnitude); }

TEST(ModelScorer, PrefixCacheEqualsUncachedAndBatchingIsInvisible) {
  ScorerFixture f;
  ModelScorerOptions cached_opt, uncached_opt;
  uncached_opt.use_prefix_cache = false;
  uncached_opt.max_batch = 1;
  auto cached = ModelScorer::Create(*f.model, f.pool, SyntheticIds(), cached_opt);
  auto uncached = ModelScorer::Create(*f.model, f.pool, SyntheticIds(), uncached_opt);
  ASSERT_TRUE(cached.ok() && uncached.ok());
  std::vector<std::vector<int32_t>> contents = {{1, 2, 3}, {}, std::vector<int32_t>(90, 77)};
  std::vector<WindowRequest> req;
  for (auto& c : contents) req.push_back({c, false});
  std::vector<WindowScore> a, b;
  ASSERT_TRUE((*cached)->Score(req, &a).ok());
  ASSERT_TRUE((*uncached)->Score(req, &b).ok());
  for (size_t i = 0; i < req.size(); ++i) {
    EXPECT_NEAR(a[i].logit_safe, b[i].logit_safe, Tol(std::fabs(b[i].logit_safe)));
    EXPECT_NEAR(a[i].logit_unsafe, b[i].logit_unsafe, Tol(std::fabs(b[i].logit_unsafe)));
    ASSERT_EQ(a[i].category_probs.size(), 29u);
    EXPECT_NEAR(std::accumulate(a[i].category_probs.begin(), a[i].category_probs.end(), 0.0), 1.0, 1e-12);
    for (int l = 0; l < 29; ++l) EXPECT_NEAR(a[i].category_probs[l], b[i].category_probs[l], Tol(1.0));
  }
}

// Brute force: run prompt + category prefix + the whole label path from scratch with
// full-vocabulary logits, and apply the restricted-softmax rule by hand at branching nodes.
std::vector<double> BruteForceCategories(ScorerFixture& f, const GuardPromptIds& ids,
                                         const std::vector<int32_t>& content, const LabelTrie& trie) {
  std::vector<double> out;
  for (const auto& label : ids.category_labels) {
    std::vector<int32_t> t = ids.prefix;
    t.insert(t.end(), content.begin(), content.end());
    t.insert(t.end(), ids.suffix.begin(), ids.suffix.end());
    t.insert(t.end(), ids.category_prefix.begin(), ids.category_prefix.end());
    const int32_t root_pos = static_cast<int32_t>(t.size()) - 1;
    t.insert(t.end(), label.begin(), label.end());
    model::InferenceState st = f.model->NewState();
    std::vector<float> logits;
    model::SequenceInput in{&st, t};
    for (size_t k = 0; k < label.size(); ++k) in.logit_positions.push_back(root_pos + static_cast<int32_t>(k));
    in.logits = &logits;
    std::span<model::SequenceInput> b(&in, 1);
    HG_CHECK(f.model->Forward(f.pool, b).ok());
    const int64_t V = f.model->config().vocab_size;
    double p = 1;
    int node = 0;
    for (size_t k = 0; k < label.size(); ++k) {
      const auto& n = trie.nodes()[node];
      size_t chosen = 0;
      double denom = 0;
      for (size_t c = 0; c < n.child_tokens.size(); ++c) {
        denom += std::exp(double(logits[k * V + n.child_tokens[c]]));
        if (n.child_tokens[c] == label[k]) chosen = c;
      }
      p *= std::exp(double(logits[k * V + label[k]])) / denom;
      node = n.child_nodes[chosen];
    }
    out.push_back(p);
  }
  return out;
}

TEST(ModelScorer, CategoriesEqualBruteForceLabelScoring) {
  ScorerFixture f;
  const GuardPromptIds ids = SyntheticIds();
  auto scorer = ModelScorer::Create(*f.model, f.pool, ids, {});
  ASSERT_TRUE(scorer.ok());
  auto trie = LabelTrie::Build(ids.category_labels);
  const std::vector<int32_t> content = {5, 6, 7, 8};
  std::vector<WindowRequest> req = {{content, false}, {content, true}};
  std::vector<WindowScore> got;
  ASSERT_TRUE((*scorer)->Score(req, &got).ok());
  const auto want = BruteForceCategories(f, ids, content, *trie);
  for (int l = 0; l < 29; ++l) {
    EXPECT_NEAR(got[0].category_probs[l], want[l], Tol(1.0)) << l;
    EXPECT_NEAR(got[1].category_probs[l], want[l], Tol(1.0)) << l;  // generate path: R read-only
  }
  EXPECT_NEAR(got[0].logit_safe, got[1].logit_safe, Tol(std::fabs(got[0].logit_safe)));
  EXPECT_TRUE(got[0].generated.empty());
  EXPECT_LE(got[1].generated.size(), 32u);
  EXPECT_FALSE(got[1].generated.empty());
}

// Labels whose branching nodes form one chain (like the card's 29 categories): root, [600],
// [600, 602]. The chain is run inside the main pass (2 extra tokens, no category pass).
GuardPromptIds ChainIds() {
  GuardPromptIds ids = SyntheticIds();
  ids.category_labels.clear();
  for (int l = 0; l < 26; ++l) ids.category_labels.push_back({500 + l});
  ids.category_labels.push_back({600, 601});
  ids.category_labels.push_back({600, 602, 700});
  ids.category_labels.push_back({600, 602, 701, 5});
  return ids;
}

TEST(ModelScorer, FoldedChainEqualsBruteForceAndUnfoldedScoring) {
  ScorerFixture f;
  const GuardPromptIds ids = ChainIds();
  ModelScorerOptions one;
  one.max_batch = 1;
  auto scorer = ModelScorer::Create(*f.model, f.pool, ids, {});
  auto single = ModelScorer::Create(*f.model, f.pool, ids, one);
  ASSERT_TRUE(scorer.ok() && single.ok());
  auto trie = LabelTrie::Build(ids.category_labels);
  const std::vector<int32_t> content = {5, 6, 7, 8}, other = {9, 9};
  // Folded (no generate) and unfolded (generate: categories from the read-only pass).
  std::vector<WindowRequest> req = {{content, false}, {content, true}, {other, false}};
  std::vector<WindowScore> got, alone(1);
  ASSERT_TRUE((*scorer)->Score(req, &got).ok());
  const int64_t main_tokens = int64_t(content.size() + ids.suffix.size() + ids.category_prefix.size());
  EXPECT_EQ(got[0].tokens_processed, main_tokens + 2);  // the chain [600, 602], nothing else
  const auto want = BruteForceCategories(f, ids, content, *trie);
  for (int l = 0; l < 29; ++l) {
    EXPECT_NEAR(got[0].category_probs[l], want[l], Tol(1.0)) << l;
    EXPECT_NEAR(got[1].category_probs[l], want[l], Tol(1.0)) << l;
  }
  // Batch invariance holds for the folded path: the third window alone gives the same bits.
  ASSERT_TRUE((*single)->Score(std::span<const WindowRequest>(&req[2], 1), &alone).ok());
  EXPECT_EQ(alone[0].logit_unsafe, got[2].logit_unsafe);
  EXPECT_EQ(alone[0].category_probs, got[2].category_probs);
}

// The monitor lane's piecewise scoring reads the same logits (root and folded chain from its last
// piece) as one pass, with and without a foldable chain.
TEST(ModelScorer, ScoreInPiecesEqualsOnePass) {
  ScorerFixture f;
  PriorityGate gate;
  const std::vector<int32_t> content(30, 42);
  for (const GuardPromptIds& ids : {ChainIds(), SyntheticIds()}) {
    auto scorer = ModelScorer::Create(*f.model, f.pool, ids, {});
    ASSERT_TRUE(scorer.ok());
    std::vector<WindowRequest> req = {{content, false}};
    std::vector<WindowScore> one;
    WindowScore pieces;
    ASSERT_TRUE((*scorer)->Score(req, &one).ok());
    ASSERT_TRUE((*scorer)->ScoreInPieces(req[0], 7, [&] { return gate.AcquireLow(); }, nullptr, &pieces).ok());
    EXPECT_NEAR(pieces.logit_unsafe, one[0].logit_unsafe, Tol(std::fabs(one[0].logit_unsafe)));
    EXPECT_EQ(pieces.tokens_processed, one[0].tokens_processed);
    ASSERT_EQ(pieces.category_probs.size(), 29u);
    for (int l = 0; l < 29; ++l) EXPECT_NEAR(pieces.category_probs[l], one[0].category_probs[l], Tol(1.0)) << l;
  }
}

TEST(ModelScorer, RejectsIdsOutsideTheVocabulary) {
  ScorerFixture f;
  GuardPromptIds ids = SyntheticIds();
  ids.suffix.push_back(5000);
  auto s = ModelScorer::Create(*f.model, f.pool, ids, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("5000"), std::string::npos);
}

}  // namespace
}  // namespace haloguard::guard
