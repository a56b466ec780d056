// Checkpoint loading: sharded and single files, ignored vision/MTP tensors, tied and untied
// heads, and a clear error (never a crash) for every kind of corrupt checkpoint.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "model/qwen35.h"
#include "model/safetensors_writer.h"
#include "model/test_util.h"
#include "model/weights.h"

namespace haloguard::model {
namespace {

using testing::MakeCheckpoint;
using testing::MakeTempDir;
using testing::ReadTestFile;

// Rewrites `src_dir`'s checkpoint into `dst_dir` through `edit`, which may drop, rename, reshape
// or add tensors: edit(name, dtype, shape, bytes) returns false to drop the tensor.
using EditFn = std::function<bool(std::string&, DType&, std::vector<int64_t>&, std::vector<uint8_t>&)>;

void Rewrite(const std::string& src_dir, const std::string& dst_dir, const EditFn& edit,
             const std::vector<std::tuple<std::string, DType, std::vector<int64_t>>>& extra = {}) {
  auto store = TensorStore::Open(src_dir);
  ASSERT_TRUE(store.ok());
  struct T { std::string n; DType d; std::vector<int64_t> s; std::vector<uint8_t> b; };
  std::vector<T> ts;
  for (const auto& [name, info] : (*store)->all()) {
    T t{name, info->dtype, info->shape, std::vector<uint8_t>(info->data, info->data + info->nbytes)};
    if (edit(t.n, t.d, t.s, t.b)) ts.push_back(std::move(t));
  }
  for (const auto& [n, d, s] : extra) {
    size_t bytes = DTypeSize(d);
    for (int64_t x : s) bytes *= x;
    ts.push_back({n, d, s, std::vector<uint8_t>(bytes, 0)});
  }
  SafetensorsWriter w;
  for (const T& t : ts) w.Declare(t.n, t.d, t.s);
  ASSERT_TRUE(w.Begin(dst_dir + "/model.safetensors").ok());
  for (const T& t : ts) ASSERT_TRUE(w.Write(t.b.data(), t.b.size()).ok()) << t.n;
  ASSERT_TRUE(w.Finish().ok());
  std::ofstream(dst_dir + "/config.json") << ReadTestFile("tests/data/configs/tiny_gqa.json");
}

Status LoadDir(const std::string& dir) { return Model::Load(dir).status(); }

void ExpectLoadError(const std::string& dir, StatusCode code, const std::string& needle) {
  Status s = LoadDir(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.ToString();
}

const std::string kQkv = "model.language_model.layers.0.linear_attn.in_proj_qkv.weight";

TEST(Weights, TableCountsMatchTheSpec) {
  auto c = ParseConfig(ReadTestFile("configs/qwen3.5-0.8b.json"));
  ASSERT_TRUE(c.ok());
  // Reference spec §1.2: 2 globals + 18 x 14 + 6 x 11 = 320 text tensors (+ optional lm_head).
  EXPECT_EQ(WeightTable(*c).size(), 321u);
  int64_t params = 0;
  for (const WeightSpec& s : WeightTable(*c)) {
    if (s.name == "lm_head.weight") continue;
    int64_t n = 1;
    for (int64_t d : s.shape) n *= d;
    params += n;
  }
  EXPECT_EQ(params, 752393024);  // spec §8, tied
}

TEST(Weights, LoadsTiedVlmCheckpointAndIgnoresVisionAndMtp) {
  const std::string src = MakeCheckpoint("tiny_gqa"), dst = MakeTempDir("extras");
  Rewrite(src, dst, [](auto&, auto&, auto&, auto&) { return true; },
          {{"model.visual.blocks.0.attn.qkv.weight", DType::kBF16, {6, 4}},
           {"mtp.fc.weight", DType::kF32, {4, 8}}});
  auto m = Model::Load(dst);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE((*m)->weights().lm_head_tied);
  EXPECT_EQ((*m)->weights().prefix, "model.language_model.");
}

TEST(Weights, LoadsUntiedFlatF32Checkpoint) {
  auto m = Model::Load(MakeCheckpoint("tiny_flat_untied", 3, DType::kF32));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE((*m)->weights().lm_head_tied);
  EXPECT_EQ((*m)->weights().prefix, "model.");
  EXPECT_EQ((*m)->weights().lm_head.dtype, DType::kF32);
}

TEST(Weights, MissingTensorIsNamed) {
  const std::string src = MakeCheckpoint("tiny_gqa"), dst = MakeTempDir("missing");
  Rewrite(src, dst, [](std::string& n, auto&, auto&, auto&) { return n != kQkv; });
  ExpectLoadError(dst, StatusCode::kNotFound, kQkv);
}

TEST(Weights, ExtraTextTensorIsRejected) {
  const std::string src = MakeCheckpoint("tiny_gqa"), dst = MakeTempDir("extra");
  Rewrite(src, dst, [](auto&, auto&, auto&, auto&) { return true; },
          {{"model.language_model.layers.9.mlp.up_proj.weight", DType::kBF16, {2, 2}}});
  ExpectLoadError(dst, StatusCode::kInvalidArgument, "unexpected tensor 'model.language_model.layers.9");
}

TEST(Weights, WrongShapeNamesExpectedAndFound) {
  const std::string src = MakeCheckpoint("tiny_gqa"), dst = MakeTempDir("shape");
  Rewrite(src, dst, [](std::string& n, auto&, std::vector<int64_t>& s, std::vector<uint8_t>& b) {
    if (n == kQkv) { s = {95, 64}; b.resize(95 * 64 * 2); }
    return true;
  });
  ExpectLoadError(dst, StatusCode::kInvalidArgument, "shape [95, 64]; expected [96, 64]");
}

TEST(Weights, WrongDtypeIsRejected) {
  const std::string src = MakeCheckpoint("tiny_gqa"), dst = MakeTempDir("dtype");
  Rewrite(src, dst, [](std::string& n, DType& d, auto&, std::vector<uint8_t>& b) {
    if (n == kQkv) { d = DType::kI32; b.resize(b.size() * 2); }
    return true;
  });
  ExpectLoadError(dst, StatusCode::kInvalidArgument, "dtype I32; expected BF16, F16 or F32");
}

TEST(Weights, MissingUntiedHeadIsNamed) {
  const std::string src = MakeCheckpoint("tiny_flat_untied", 1), dst = MakeTempDir("nohead");
  Rewrite(src, dst, [](std::string& n, auto&, auto&, auto&) { return n != "lm_head.weight"; });
  std::ofstream(dst + "/config.json") << ReadTestFile("tests/data/configs/tiny_flat_untied.json");
  ExpectLoadError(dst, StatusCode::kNotFound, "lm_head.weight");
}

TEST(Weights, ConfigMismatchSaysSo) {
  const std::string dir = MakeCheckpoint("tiny_gqa");
  std::ofstream(dir + "/config.json") << ReadTestFile("tests/data/configs/tiny_flat_untied.json");
  Status s = LoadDir(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("embed_tokens"), std::string::npos) << s.ToString();
}

TEST(Safetensors, TruncatedAndCorruptFilesFailCleanly) {
  const std::string dir = MakeCheckpoint("tiny_gqa");
  const std::string file = dir + "/model.safetensors";
  const std::string bytes = *ReadFileToString(file);
  auto write = [&](const std::string& data) { std::ofstream(file, std::ios::binary) << data; };
  write(bytes.substr(0, bytes.size() - 100));
  ExpectLoadError(dir, StatusCode::kDataLoss, "truncated");
  write(bytes.substr(0, 5));
  ExpectLoadError(dir, StatusCode::kDataLoss, "expected >= 8");
  std::string huge = bytes;
  huge[7] = '\x7f';  // header length ~ 2^63
  write(huge);
  ExpectLoadError(dir, StatusCode::kDataLoss, "header length");
  std::string garbage = bytes;
  garbage[8] = '#';
  write(garbage);
  ExpectLoadError(dir, StatusCode::kDataLoss, "not a JSON object");
  write("");
  ExpectLoadError(dir, StatusCode::kDataLoss, "expected >= 8");
}

TEST(Safetensors, ShardedIndexIsFollowedAndChecked) {
  const std::string src = MakeCheckpoint("tiny_gqa"), dir = MakeTempDir("sharded");
  auto store = TensorStore::Open(src);
  ASSERT_TRUE(store.ok());
  // Two shards: embeddings in one, everything else in the other.
  SafetensorsWriter a, b;
  std::string index = R"({"metadata":{},"weight_map":{)";
  bool first = true;
  for (const auto& [name, info] : (*store)->all()) {
    const bool in_a = name.find("embed_tokens") != std::string::npos;
    (in_a ? a : b).Declare(name, info->dtype, info->shape);
    index += std::string(first ? "" : ",") + "\"" + name + "\":\"" +
             (in_a ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors") + "\"";
    first = false;
  }
  index += "}}";
  ASSERT_TRUE(a.Begin(dir + "/model-00001-of-00002.safetensors").ok());
  ASSERT_TRUE(b.Begin(dir + "/model-00002-of-00002.safetensors").ok());
  for (const auto& [name, info] : (*store)->all()) {
    const bool in_a = name.find("embed_tokens") != std::string::npos;
    ASSERT_TRUE((in_a ? a : b).Write(info->data, info->nbytes).ok());
  }
  ASSERT_TRUE(a.Finish().ok());
  ASSERT_TRUE(b.Finish().ok());
  std::ofstream(dir + "/model.safetensors.index.json") << index;
  std::ofstream(dir + "/config.json") << ReadTestFile("tests/data/configs/tiny_gqa.json");
  auto m = Model::Load(dir);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->store().files().size(), 2u);
  ::unlink((dir + "/model-00002-of-00002.safetensors").c_str());
  ExpectLoadError(dir, StatusCode::kNotFound, "model-00002-of-00002.safetensors");
  std::ofstream(dir + "/model.safetensors.index.json") << R"({"weight_map":{"x":"../../etc/passwd"}})";
  ExpectLoadError(dir, StatusCode::kDataLoss, "not a plain file name");
}

TEST(Safetensors, MissingCheckpointIsNotFound) {
  ExpectLoadError(MakeTempDir("empty"), StatusCode::kNotFound, "config.json");
}

}  // namespace
}  // namespace haloguard::model
