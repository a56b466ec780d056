// Golden tests: the C++ engine against the independent float64 Python reference
// (tools/reference, written from HF modeling_qwen3_5.py) on committed tiny random checkpoints:
// every layer's hidden states, the final norm and the full logits, for a whole 100-token pass and
// for a 37 + 63 split through the inference state. Tolerances: docs/TOLERANCES.md.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>

#include "core/tolerance.h"
#include "model/lora_test_util.h"
#include "model/qwen35.h"

namespace haloguard {
namespace {

const char* kFixtures[] = {"tiny_gqa_bf16", "tiny_flat_f32", "tiny_gqa_f16"};

std::string FixtureDir(const std::string& name) {
  return std::string(HG_SOURCE_DIR) + "/tests/data/golden/" + name;
}

struct Golden {
  std::unique_ptr<model::TensorStore> store;
  std::vector<int32_t> ids;
  std::vector<float> Get(const std::string& name) const {
    const model::TensorInfo* t = store->Find(name);
    HG_CHECK(t != nullptr && t->dtype == DType::kF32) << "golden tensor " << name;
    std::vector<float> v(t->numel());
    std::memcpy(v.data(), t->data, t->nbytes);
    return v;
  }
};

Golden LoadGolden(const std::string& name) {
  Golden g;
  auto s = model::TensorStore::Open(FixtureDir(name) + "/golden.safetensors");
  HG_CHECK(s.ok()) << s.status().ToString();
  g.store = std::move(*s);
  const model::TensorInfo* ids = g.store->Find("input_ids");
  HG_CHECK(ids && ids->dtype == DType::kI32);
  g.ids.resize(ids->numel());
  std::memcpy(g.ids.data(), ids->data, ids->nbytes);
  return g;
}

// Derived bound (docs/TOLERANCES.md): each decoder layer adds a local fp32 error of at most
// ProbGamma(n) relative, n = the longest reduction chain in a layer (D + F + T + C * Dk), and a
// residual layer x + f(RmsNorm(x)) amplifies an incoming relative error by at most 2 with these
// initialisations, so after layer L the bound is ProbGamma(n) * sum_{j<=L} 2^(L-j) * max|ref|.
// `extra_n`: more terms per reduction (a merged LoRA adapter's rounding, lora_test_util.h).
double LayerTolerance(const model::TextConfig& c, int64_t T, int layer, double max_ref,
                      double extra_n = 0) {
  const double n =
      double(c.hidden_size + c.intermediate_size + T + 64 * c.linear_key_head_dim) + extra_n;
  double amplification = 0;
  for (int j = 0; j <= layer; ++j) amplification += std::pow(2.0, layer - j);
  return ProbGamma(n) * amplification * max_ref;
}

double MaxAbs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::fabs(x)));
  return m;
}

void ExpectWithin(const std::string& what, const std::vector<float>& got,
                  const std::vector<float>& want, double tol) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double err = 0;
  for (size_t i = 0; i < got.size(); ++i) err = std::max(err, double(std::fabs(got[i] - want[i])));
  EXPECT_LE(err, tol) << what << ": max |C++ - reference| = " << err;
  ::testing::Test::RecordProperty(what + "_max_abs_err", std::to_string(err));
}

class GoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenTest, EveryLayerAndTheLogitsMatchTheReference) {
  const std::string name = GetParam();
  auto m = model::Model::Load(FixtureDir(name));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const model::TextConfig& c = (*m)->config();
  Golden g = LoadGolden(name);
  const int64_t T = static_cast<int64_t>(g.ids.size());
  std::map<std::string, std::vector<float>> taps;
  model::ForwardOptions opt;
  opt.tap = [&](const std::string& n, const float* d, int64_t rows, int64_t cols) {
    taps[n].assign(d, d + rows * cols);
  };
  ThreadPool pool(2);
  std::vector<float> logits;
  ASSERT_TRUE((*m)->ForwardAllPositions(pool, g.ids, &logits, opt).ok());
  ExpectWithin("embed", taps["embed"], g.Get("embed"), 0.0);  // a lookup: exact
  const int L = static_cast<int>(c.num_hidden_layers);
  for (int l = 0; l < L; ++l) {
    const std::string n = "layer." + std::to_string(l);
    const auto want = g.Get(n);
    ExpectWithin(n, taps[n], want, LayerTolerance(c, T, l, MaxAbs(want)));
  }
  const auto norm = g.Get("final_norm");
  // RMSNorm maps a relative input error e to at most 2e (normalisation + scale), plus its own
  // D-term reduction.
  const double rel = LayerTolerance(c, T, L - 1, 1.0) / 1.0;
  ExpectWithin("final_norm", taps["final_norm"], norm, (2 * rel + ProbGamma(c.hidden_size)) * MaxAbs(norm));
  // Logits: a D-term dot product of the normalised state (relative error 2 rel + ...) with a
  // head row: |err| <= (2 rel + ProbGamma(D)) * max|final_norm| * max row L1 norm, bounded here by
  // the same relative factor times sqrt(D) * max|logit| (rows are N(0, 1/D)).
  const auto want_logits = g.Get("logits");
  const double logit_tol =
      (2 * rel + ProbGamma(c.hidden_size)) * 2 * std::sqrt(double(c.hidden_size)) * MaxAbs(want_logits);
  ExpectWithin("logits", logits, want_logits, logit_tol);
}

TEST_P(GoldenTest, SplitThroughTheStateMatchesTheReferenceSplit) {
  const std::string name = GetParam();
  auto m = model::Model::Load(FixtureDir(name));
  ASSERT_TRUE(m.ok());
  Golden g = LoadGolden(name);
  const int64_t T = static_cast<int64_t>(g.ids.size()), K = 37;
  ThreadPool pool(2);
  model::InferenceState st = (*m)->NewState();
  std::vector<float> first, second;
  model::SequenceInput a{&st, std::span<const int32_t>(g.ids.data(), K)};
  for (int64_t p = 0; p < K; ++p) a.logit_positions.push_back(static_cast<int32_t>(p));
  a.logits = &first;
  std::span<model::SequenceInput> ba(&a, 1);
  ASSERT_TRUE((*m)->Forward(pool, ba).ok());
  model::SequenceInput b{&st, std::span<const int32_t>(g.ids.data() + K, T - K)};
  for (int64_t p = 0; p < T - K; ++p) b.logit_positions.push_back(static_cast<int32_t>(p));
  b.logits = &second;
  std::span<model::SequenceInput> bb(&b, 1);
  ASSERT_TRUE((*m)->Forward(pool, bb).ok());
  first.insert(first.end(), second.begin(), second.end());
  const auto want = g.Get("logits_split");
  const model::TextConfig& c = (*m)->config();
  const double rel = LayerTolerance(c, T, static_cast<int>(c.num_hidden_layers) - 1, 1.0);
  ExpectWithin("logits_split", first, want,
               (2 * rel + ProbGamma(c.hidden_size)) * 2 * std::sqrt(double(c.hidden_size)) * MaxAbs(want));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest, ::testing::ValuesIn(kFixtures));

// --weights bf16 against the reference run with the same bf16 rounding of every decoder
// projection's input (gen_goldens.py --bf16-activations, first 40 ids of tiny_gqa_bf16). The
// bound (docs/TOLERANCES.md, "bf16 compute mode"): the exact path's fp32 bound, plus rounding
// flips — where the engine's fp32 activation and the reference's lie on either side of a bf16
// rounding boundary, the two round one bf16 step apart. A fraction p <= 2^9 * rel of elements
// (rel the exact path's relative bound) can flip; a flip is at most twice an element's own
// rounding error, whose total effect is D = max|bf16 ref - exact ref|; random flips add up as
// sqrt(p), so |engine - bf16 ref| <= fp32 bound + 2 sqrt(p) D. That bound is loose (rel is a
// worst case), so the engine must also sit at most D/16 from the bf16 reference: an engine that
// computed exactly, or rounded differently (truncation), would sit ~D from it (measured: D/147).
TEST(GoldenBf16, Bf16ModeMatchesTheBf16RoundedReference) {
  model::LoadOptions lo;
  lo.weights = model::WeightMode::kBf16;
  auto m = model::Model::Load(FixtureDir("tiny_gqa_bf16"), lo);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  if ((*m)->weight_mode() != model::WeightMode::kBf16) GTEST_SKIP() << "no AVX512_BF16 on this CPU";
  Golden g;
  auto s = model::TensorStore::Open(FixtureDir("tiny_gqa_bf16") + "/golden_bf16_activations.safetensors");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  g.store = std::move(*s);
  const Golden exact = LoadGolden("tiny_gqa_bf16");
  const model::TextConfig& c = (*m)->config();
  const int64_t T = 40, V = c.vocab_size;
  ThreadPool pool(2);
  std::vector<float> logits;
  ASSERT_TRUE((*m)->ForwardAllPositions(pool, std::span<const int32_t>(exact.ids.data(), T), &logits).ok());
  const auto want = g.Get("logits");
  auto exact_logits = exact.Get("logits");
  exact_logits.resize(static_cast<size_t>(T * V));  // the first 40 positions (causal)
  ASSERT_EQ(want.size(), exact_logits.size());
  double d = 0, to_exact = 0, to_bf16 = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    d = std::max(d, double(std::fabs(want[i] - exact_logits[i])));
    to_exact = std::max(to_exact, double(std::fabs(logits[i] - exact_logits[i])));
    to_bf16 = std::max(to_bf16, double(std::fabs(logits[i] - want[i])));
  }
  const double rel = LayerTolerance(c, T, static_cast<int>(c.num_hidden_layers) - 1, 1.0);
  const double fp32_tol =
      (2 * rel + ProbGamma(c.hidden_size)) * 2 * std::sqrt(double(c.hidden_size)) * MaxAbs(want);
  const double p = std::min(1.0, 512.0 * rel);
  const double tol = fp32_tol + 2 * std::sqrt(p) * d;
  std::printf("bf16 golden: max|bf16 ref - exact ref| = %.3e, max|engine - bf16 ref| = %.3e, "
              "max|engine - exact ref| = %.3e, bound %.3e (p = %.2e)\n", d, to_bf16, to_exact, tol, p);
  EXPECT_GT(d, 0.0);
  EXPECT_LE(to_bf16, tol);
  EXPECT_LE(to_bf16, d / 16);
  ExpectWithin("bf16_logits", logits, want, tol);
}

// ---- LoRA adapters (tests/data/lora, docs/LORA.md) ----
// The engine with a PEFT adapter merged (fp32 copies of the targeted matrices) against the float64
// reference that merges W + scale * B A in float64 (gen_goldens.py --adapter). Fixtures:
// tiny_qwen35 (VLM layout, BF16 base, F32 factors, every projection kind targeted, r 4) and
// tiny_flat_f32 (text layout "model.", F32 base, BF16 factors, rsLoRA, r 8). The bound is the
// golden one with the merge's rounding added as c^2 (r + 2) more terms per reduction.
// Both ways of applying it: merged copies and the low-rank side path.
struct LoraFixture {
  const char* base;  // model directory under tests/data
  const char* adapter;  // adapter directory under tests/data/lora
  bool side_path;
};
const LoraFixture kLoraFixtures[] = {{"tiny_qwen35", "tiny_qwen35_adapter", false},
                                     {"golden/tiny_flat_f32", "tiny_flat_adapter", false},
                                     {"tiny_qwen35", "tiny_qwen35_adapter", true},
                                     {"golden/tiny_flat_f32", "tiny_flat_adapter", true}};

std::string DataDir(const std::string& rel) { return std::string(HG_SOURCE_DIR) + "/tests/data/" + rel; }

// Logits [T, V] of all positions of `ids` through `m`.
std::vector<float> AllLogits(const model::Model& m, const std::vector<int32_t>& ids) {
  ThreadPool pool(2);
  std::vector<float> logits;
  HG_CHECK(m.ForwardAllPositions(pool, ids, &logits).ok());
  return logits;
}

class GoldenLora : public ::testing::TestWithParam<LoraFixture> {};

TEST_P(GoldenLora, AdapterLogitsMatchTheFloat64Merge) {
  const LoraFixture f = GetParam();
  model::LoadOptions lo;
  lo.adapter_dir = DataDir(std::string("lora/") + f.adapter);
  lo.adapter_mode = f.side_path ? model::AdapterMode::kSidePath : model::AdapterMode::kMerged;
  auto m = model::Model::Load(DataDir(f.base), lo);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_NE((*m)->adapter(), nullptr);
  EXPECT_EQ((*m)->adapter_side_path() != nullptr, f.side_path);
  auto s = model::TensorStore::Open(lo.adapter_dir + "/golden.safetensors");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Golden g;
  g.store = std::move(*s);
  const model::TensorInfo* ids = g.store->Find("input_ids");
  ASSERT_TRUE(ids != nullptr);
  g.ids.assign(reinterpret_cast<const int32_t*>(ids->data),
               reinterpret_cast<const int32_t*>(ids->data) + ids->numel());
  const model::TextConfig& c = (*m)->config();
  const int64_t T = static_cast<int64_t>(g.ids.size());
  const double extra = model::testing::LoraExtraReductionTerms(**m);
  const double rel = LayerTolerance(c, T, static_cast<int>(c.num_hidden_layers) - 1, 1.0, extra);
  const auto want = g.Get("logits");
  const double tol = (2 * rel + ProbGamma(c.hidden_size)) * 2 * std::sqrt(double(c.hidden_size)) * MaxAbs(want);
  const std::vector<float> got = AllLogits(**m, g.ids);
  ExpectWithin("lora_logits", got, want, tol);
  // The adapter matters: the base's logits sit far outside the bound.
  auto base = model::Model::Load(DataDir(f.base));
  ASSERT_TRUE(base.ok());
  const std::vector<float> plain = AllLogits(**base, g.ids);
  double moved = 0, err = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    moved = std::max(moved, double(std::fabs(plain[i] - want[i])));
    err = std::max(err, double(std::fabs(got[i] - want[i])));
  }
  std::printf("lora golden %s (%s): max|engine - ref| %.3e, bound %.3e (extra terms %.1f), base vs "
              "adapter reference %.3e\n", f.adapter, f.side_path ? "side path" : "merged", err, tol, extra, moved);
  EXPECT_GT(moved, 100 * tol);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenLora, ::testing::ValuesIn(kLoraFixtures));

}  // namespace
}  // namespace haloguard
