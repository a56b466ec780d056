// LoRA adapters on a loaded model: refusals (module, shape, dtype, targets), layouts, the merged
// copies' size, batch invariance and int8 (the merged matrix is what gets quantised). The numbers
// against the float64 reference are in tests/golden_test.cc (GoldenLora).
#include "model/lora.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "model/qwen35.h"
#include "model/safetensors_writer.h"
#include "model/test_util.h"

namespace haloguard::model {
namespace {

const std::string kBase = std::string(HG_SOURCE_DIR) + "/tests/data/tiny_qwen35";
const std::string kFixture = std::string(HG_SOURCE_DIR) + "/tests/data/lora/tiny_qwen35_adapter";
constexpr const char* kL1 = "base_model.model.model.language_model.layers.1.self_attn.";
constexpr const char* kL3 = "base_model.model.model.language_model.layers.3.self_attn.";

struct Factor {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::kF32;
};

// Writes DIR/adapter_config.json (r 4, alpha 8, the given target_modules JSON) and an
// adapter_model.safetensors with `factors` (values 0.01 * index).
std::string WriteAdapter(const std::vector<Factor>& factors, const std::string& targets = R"(["q_proj"])") {
  const std::string dir = testing::MakeTempDir("lora");
  std::ofstream(dir + "/adapter_config.json")
      << R"({"peft_type": "LORA", "r": 4, "lora_alpha": 8, "bias": "none", "target_modules": )"
      << targets << R"(, "base_model_name_or_path": "astroware/HaloGuard1-Gen-0.8B"})";
  SafetensorsWriter w;
  for (const Factor& f : factors) w.Declare(f.name, f.dtype, f.shape);
  HG_CHECK(w.Begin(dir + "/adapter_model.safetensors").ok());
  for (const Factor& f : factors) {
    int64_t n = 1;
    for (int64_t d : f.shape) n *= d;
    std::vector<uint8_t> bytes(n * DTypeSize(f.dtype));
    if (f.dtype == DType::kF32) {
      for (int64_t i = 0; i < n; ++i) {
        const float v = 0.01f * static_cast<float>(i % 13);
        std::memcpy(bytes.data() + 4 * i, &v, 4);
      }
    }
    HG_CHECK(w.Write(bytes.data(), bytes.size()).ok());
  }
  HG_CHECK(w.Finish().ok());
  return dir;
}

// q_proj factors for both full-attention layers (1 and 3) of tiny_qwen35: q_proj is [128, 64].
std::vector<Factor> QProjFactors() {
  return {{std::string(kL1) + "q_proj.lora_A.weight", {4, 64}}, {std::string(kL1) + "q_proj.lora_B.weight", {128, 4}},
          {std::string(kL3) + "q_proj.lora_A.weight", {4, 64}}, {std::string(kL3) + "q_proj.lora_B.weight", {128, 4}}};
}

StatusOr<std::unique_ptr<Model>> LoadWith(const std::string& adapter, WeightMode mode = WeightMode::kExact,
                                          bool side_path = false) {
  LoadOptions o;
  o.adapter_dir = adapter;
  o.weights = mode;
  o.adapter_mode = side_path ? AdapterMode::kSidePath : AdapterMode::kMerged;
  return Model::Load(kBase, o);
}

std::string Refusal(const std::vector<Factor>& f, const std::string& targets = R"(["q_proj"])") {
  auto m = LoadWith(WriteAdapter(f, targets));
  EXPECT_FALSE(m.ok());
  return m.ok() ? "" : m.status().ToString();
}

TEST(Lora, MergesOnlyTheTargetedMatricesIntoFp32Copies) {
  auto m = LoadWith(WriteAdapter(QProjFactors()));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const Model& model = **m;
  ASSERT_NE(model.adapter(), nullptr);
  EXPECT_EQ(model.adapter()->modules.size(), 2u);
  EXPECT_EQ(model.adapter_bytes(), 2u * 128 * 64 * 4);  // two fp32 [128, 64] copies
  const auto& l1 = model.weights().layers[1].full;
  EXPECT_EQ(l1.q_proj.dtype, DType::kF32);
  EXPECT_EQ(l1.k_proj.dtype, DType::kBF16);  // untouched: still the mapped base
  EXPECT_EQ(l1.k_proj.data, model.store().Find("model.language_model.layers.1.self_attn.k_proj.weight")->data);
}

TEST(Lora, RefusesShapesThatDoNotFitNamingModuleAndShapes) {
  auto f = QProjFactors();
  f[0].shape = {4, 32};
  const std::string a = Refusal(f);
  EXPECT_NE(a.find("layers.1.self_attn.q_proj"), std::string::npos) << a;
  EXPECT_NE(a.find("lora_A expected [r, in] = [4, 64]"), std::string::npos) << a;
  EXPECT_NE(a.find("got [4, 32]"), std::string::npos) << a;
  f = QProjFactors();
  f[3].shape = {64, 4};
  const std::string b = Refusal(f);
  EXPECT_NE(b.find("lora_B expected [out, r] = [128, 4]"), std::string::npos) << b;
  EXPECT_NE(b.find("got [64, 4]"), std::string::npos) << b;
  f = QProjFactors();
  f[0].shape = {8, 64};  // rank 8 against r = 4 in the config
  EXPECT_NE(Refusal(f).find("r = 4"), std::string::npos);
}

TEST(Lora, RefusesMissingFactorsBadDtypesAndUnknownModules) {
  auto f = QProjFactors();
  f.pop_back();
  EXPECT_NE(Refusal(f).find("expected both lora_A and lora_B, found only lora_A"), std::string::npos);
  f = QProjFactors();
  f[1].dtype = DType::kI32;
  EXPECT_NE(Refusal(f).find("dtype expected BF16, F16 or F32, got I32"), std::string::npos);
  f = QProjFactors();
  f[0].name = "base_model.model.model.language_model.layers.9.self_attn.q_proj.lora_A.weight";
  EXPECT_NE(Refusal(f).find("not a linear projection of the base model"), std::string::npos);
  f = QProjFactors();  // layer 0 is a linear-attention layer: it has no q_proj
  f[0].name = "base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight";
  EXPECT_NE(Refusal(f).find("layers.0.self_attn.q_proj' is not a linear projection"), std::string::npos);
  f = QProjFactors();  // one module under both layouts' prefixes
  f.push_back({"base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight", {4, 64}});
  EXPECT_NE(Refusal(f).find("appears twice"), std::string::npos);
  f = QProjFactors();
  f[0].name = std::string(kL1) + "q_proj.lora_A.default.weight";  // adapter name not stripped
  EXPECT_NE(Refusal(f).find("expected 'base_model.model.<module>.lora_A.weight'"), std::string::npos);
}

TEST(Lora, RefusesEmbeddingAndHeadTargets) {
  auto f = QProjFactors();
  f.push_back({"base_model.model.lm_head.lora_A.weight", {4, 64}});
  f.push_back({"base_model.model.lm_head.lora_B.weight", {1024, 4}});
  EXPECT_NE(Refusal(f, R"(["q_proj", "lm_head"])").find("'lm_head' is the LM head, which is not supported"),
            std::string::npos);
  EXPECT_NE(Refusal(QProjFactors(), R"(["q_proj", "embed_tokens"])").find("selects 'model.language_model.embed_tokens'"),
            std::string::npos);
  auto e = QProjFactors();
  e.push_back({"base_model.model.model.language_model.embed_tokens.lora_embedding_A", {4, 1024}});
  EXPECT_FALSE(LoadWith(WriteAdapter(e)).ok());
}

TEST(Lora, RefusesFilesThatDisagreeWithTargetModules) {
  auto f = QProjFactors();
  f.resize(2);  // layer 3's q_proj is targeted but absent
  EXPECT_NE(Refusal(f).find("selects 'model.language_model.layers.3.self_attn.q_proj' but"), std::string::npos);
  EXPECT_NE(Refusal(QProjFactors(), R"(["v_proj"])").find("which target_modules does not select"),
            std::string::npos);
  // The regex form and PEFT's "all-linear" shorthand.
  EXPECT_TRUE(LoadWith(WriteAdapter(QProjFactors(), R"(".*\\.q_proj")")).ok());
  EXPECT_NE(Refusal(QProjFactors(), R"("all-linear")").find("has no lora_A/lora_B"), std::string::npos);
}

TEST(Lora, AcceptsTheTextLayoutSpellingAndSkipsVisionFactors) {
  auto f = QProjFactors();
  for (Factor& x : f) x.name.replace(0, std::strlen("base_model.model.model.language_model."), "base_model.model.model.");
  f.push_back({"base_model.model.model.visual.blocks.0.attn.qkv.lora_A.weight", {4, 8}});
  f.push_back({"base_model.model.model.visual.blocks.0.attn.qkv.lora_B.weight", {24, 4}});
  auto m = LoadWith(WriteAdapter(f));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->adapter()->modules.size(), 2u);
  EXPECT_EQ((*m)->adapter()->ignored_tensors, 2);
}

TEST(Lora, MissingOrCorruptFilesAreErrors) {
  EXPECT_EQ(LoadWith("/nonexistent/adapter").status().code(), StatusCode::kNotFound);
  const std::string dir = WriteAdapter(QProjFactors());
  std::ofstream(dir + "/adapter_model.safetensors", std::ios::trunc) << "garbage";
  EXPECT_FALSE(LoadWith(dir).ok());
}

// The side path copies no matrix: its memory is the fp32 factors, r (in + out) floats each.
TEST(Lora, SidePathKeepsEveryMatrixMapped) {
  auto m = LoadWith(WriteAdapter(QProjFactors()), WeightMode::kExact, /*side_path=*/true);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->adapter_bytes(), 2u * 4 * (64 + 128) * 4);
  const auto& q = (*m)->weights().layers[1].full.q_proj;
  EXPECT_EQ(q.dtype, DType::kBF16);
  EXPECT_EQ(q.data, (*m)->store().Find("model.language_model.layers.1.self_attn.q_proj.weight")->data);
}

// kAuto merges when the fp32 copies take at most kAutoMergeFraction of the checkpoint (two
// [128, 64] q_proj copies: 64 KiB of tiny_qwen35's 388 KiB), takes the side path beyond it (the
// fixture targets every projection: 496 KiB of copies) and always merges in int8 mode.
TEST(Lora, AutoModeMergesOnlyWhenTheCopiesAreSmall) {
  const auto load = [](const std::string& adapter, WeightMode mode) {
    LoadOptions o;
    o.adapter_dir = adapter;
    o.weights = mode;
    auto m = Model::Load(kBase, o);
    HG_CHECK(m.ok()) << m.status().ToString();
    return std::move(*m);
  };
  const size_t checkpoint = load("", WeightMode::kExact)->store().total_file_bytes();
  ASSERT_LE(2u * 128 * 64 * 4, kAutoMergeFraction * checkpoint);
  EXPECT_EQ(load(WriteAdapter(QProjFactors()), WeightMode::kExact)->adapter_side_path(), nullptr);
  auto all = load(kFixture, WeightMode::kExact);
  ASSERT_NE(all->adapter_side_path(), nullptr);
  EXPECT_GT(all->adapter()->modules.size(), 20u);
  EXPECT_EQ(load(kFixture, WeightMode::kInt8)->adapter_side_path(), nullptr);
}

// Logits of one sequence alone and the same sequence batched with another: bit-identical, for
// both ways of applying the adapter.
class LoraModes : public ::testing::TestWithParam<bool> {};

TEST_P(LoraModes, AdapterModelIsBatchInvariant) {
  auto m = LoadWith(kFixture, WeightMode::kExact, GetParam());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ThreadPool pool(2);
  std::vector<int32_t> a = {5, 17, 300, 2, 999, 41, 7};
  const std::vector<int32_t> b = {8, 9, 10, 11};
  for (int32_t i = 0; i < 250; ++i) a.push_back((i * 7919 + 13) % 1024);  // chunks on every thread
  auto run = [&](bool with_other) {
    InferenceState sa = (*m)->NewState(), sb = (*m)->NewState();
    std::vector<float> la, lb;
    std::vector<SequenceInput> batch;
    if (with_other) batch.push_back({&sb, b, true, {3}, {}, &lb});
    batch.push_back({&sa, a, true, {0, 6, 256}, {}, &la});
    HG_CHECK((*m)->Forward(pool, batch).ok());
    return la;
  };
  const std::vector<float> alone = run(false), batched = run(true);
  ASSERT_EQ(alone.size(), batched.size());
  EXPECT_EQ(std::memcmp(alone.data(), batched.data(), alone.size() * sizeof(float)), 0);
}

INSTANTIATE_TEST_SUITE_P(MergedAndSidePath, LoraModes, ::testing::Bool());

// The two ways compute the same function: over 300 tokens (the side path's row chunks run on
// every thread) their logits agree to fp32 rounding (relative RMS < 1e-4; a missing or doubled
// term moves them by ~1, see GoldenLora's base-vs-adapter distance).
TEST(Lora, SidePathAgreesWithTheMergedCopies) {
  auto merged = LoadWith(kFixture);
  auto side = LoadWith(kFixture, WeightMode::kExact, /*side_path=*/true);
  ASSERT_TRUE(merged.ok() && side.ok());
  ThreadPool pool(2);
  std::vector<int32_t> ids;
  for (int32_t i = 0; i < 300; ++i) ids.push_back((i * 31 + 7) % 1024);
  auto logits = [&](const Model& m) {
    InferenceState st = m.NewState();
    std::vector<float> out;
    std::vector<SequenceInput> batch{{&st, ids, true, {0, 150, 299}, {}, &out}};
    HG_CHECK(m.Forward(pool, batch).ok());
    return out;
  };
  const auto x = logits(**merged), y = logits(**side);
  double d = 0, n = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    d += (x[i] - y[i]) * (x[i] - y[i]);
    n += x[i] * x[i];
  }
  EXPECT_LT(std::sqrt(d / n), 1e-4);
}

// In int8 mode each merged matrix is quantised exactly as the exact mode's merged fp32 matrix
// would be, and the fp32 copies are freed.
TEST(Lora, Int8QuantisesTheMergedMatrix) {
  auto exact = LoadWith(kFixture);
  auto int8 = LoadWith(kFixture, WeightMode::kInt8);
  ASSERT_TRUE(exact.ok() && int8.ok()) << int8.status().ToString();
  EXPECT_EQ((*int8)->adapter_bytes(), 0u);
  EXPECT_GT((*exact)->adapter_bytes(), 0u);
  ThreadPool pool(2);
  const WeightMatrix& merged = (*exact)->weights().layers[1].full.q_proj;
  const WeightMatrix& q = (*int8)->weights().layers[1].full.q_proj;
  ASSERT_NE(q.int8, nullptr);
  EXPECT_EQ(q.data, nullptr);
  const kernels::QuantizedMatrix want = kernels::QuantizeWeights(pool, merged);
  EXPECT_EQ(q.int8->packed, want.packed);
  EXPECT_EQ(q.int8->scale, want.scale);
  auto base = Model::Load(kBase, LoadOptions{WeightMode::kInt8});
  ASSERT_TRUE(base.ok());
  EXPECT_NE(base->get()->weights().layers[1].full.q_proj.int8->packed, want.packed);
  // With the side path the unmerged base is quantised and the fp32 factors stay.
  auto side = LoadWith(kFixture, WeightMode::kInt8, /*side_path=*/true);
  ASSERT_TRUE(side.ok()) << side.status().ToString();
  EXPECT_EQ(side->get()->weights().layers[1].full.q_proj.int8->packed,
            base->get()->weights().layers[1].full.q_proj.int8->packed);
  EXPECT_GT(side->get()->adapter_bytes(), 0u);
}

// int8 with the adapter (either way) stays near the exact adapter model and far from the base:
// the sanity bound of the int8 mode (docs/TOLERANCES.md, relative RMS < 0.25).
TEST_P(LoraModes, Int8LogitsStayNearTheExactAdapterModel) {
  auto exact = LoadWith(kFixture);
  auto int8 = LoadWith(kFixture, WeightMode::kInt8, GetParam());
  auto base = Model::Load(kBase);
  ASSERT_TRUE(exact.ok() && int8.ok() && base.ok());
  ThreadPool pool(2);
  const std::vector<int32_t> ids = {5, 17, 300, 2, 999, 41, 7, 64, 128, 3};
  auto logits = [&](const Model& m) {
    InferenceState st = m.NewState();
    std::vector<float> out;
    std::vector<SequenceInput> batch{{&st, ids, true, {9}, {}, &out}};
    HG_CHECK(m.Forward(pool, batch).ok());
    return out;
  };
  const auto e = logits(**exact), q = logits(**int8), b = logits(**base);
  double d_q = 0, d_b = 0, n = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    d_q += (q[i] - e[i]) * (q[i] - e[i]);
    d_b += (b[i] - e[i]) * (b[i] - e[i]);
    n += e[i] * e[i];
  }
  EXPECT_LT(std::sqrt(d_q / n), 0.25);
  EXPECT_GT(std::sqrt(d_b / n), 4 * std::sqrt(d_q / n));  // the adapter survives quantisation
}

// --weights bf16: bf16 compute is decided on the base; the merged matrices are fp32 and computed
// exactly, the rest in bf16 mode (skipped on a CPU without AVX512_BF16).
TEST(Lora, Bf16ModeComputesMergedMatricesExactly) {
  auto m = LoadWith(kFixture, WeightMode::kBf16);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  if ((*m)->weight_mode() != WeightMode::kBf16) GTEST_SKIP() << "no AVX512_BF16 on this CPU";
  const auto& f = (*m)->weights().layers[1].full;
  EXPECT_EQ(f.q_proj.dtype, DType::kF32);
  EXPECT_FALSE(f.q_proj.bf16_compute);
  auto q = LoadWith(WriteAdapter(QProjFactors()), WeightMode::kBf16);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE((*q)->weights().layers[1].full.q_proj.bf16_compute);
  EXPECT_TRUE((*q)->weights().layers[1].full.k_proj.bf16_compute);  // untargeted: bf16 mode
}

}  // namespace
}  // namespace haloguard::model
