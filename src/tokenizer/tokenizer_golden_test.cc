// Golden test: every corpus string (tests/data/tokenizer/corpus.jsonl, 2,000+) must encode to
// exactly the ids HF tokenizers 0.23.2 produced (goldens/encode_*.jsonl), on four configurations:
// Qwen3's tokenizer.json, the same vocab with the Qwen3.5 split regex, the Qwen3.5 skeleton and the
// tiny test tokenizer. Decode is checked on seeded random id lists. Goldens are regenerated and
// compared with the oracle by the tokenizer_goldens_current test (tools/tokenizer/gen_goldens.js).
#include <gtest/gtest.h>

#include "tokenizer/nfc.h"
#include "tokenizer/test_util.h"

namespace haloguard::tokenizer {
namespace {

using testing::GoldenConfig;
using testing::ReadJsonl;
using testing::SourcePath;

std::string Join(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size() && i < 40; ++i) s += std::to_string(ids[i]) + " ";
  return ids.size() > 40 ? s + "..." : s;
}

class GoldenTest : public ::testing::TestWithParam<GoldenConfig> {
 protected:
  void SetUp() override {
    if (!testing::Exists(SourcePath(GetParam().json))) {
      GTEST_SKIP() << GetParam().json << " missing: run scripts/oracles.sh";
    }
    auto tok = testing::LoadGoldenConfig(GetParam());
    ASSERT_TRUE(tok.ok()) << tok.status().ToString();
    tok_ = std::make_unique<Tokenizer>(*tok);
  }
  std::unique_ptr<Tokenizer> tok_;
};

TEST_P(GoldenTest, EncodeMatchesHuggingFace) {
  const auto corpus = ReadJsonl(SourcePath("tests/data/tokenizer/corpus.jsonl"));
  const auto golden =
      ReadJsonl(SourcePath("tests/data/tokenizer/goldens/encode_" + GetParam().name + ".jsonl"));
  ASSERT_GE(corpus.size(), 2000u);
  ASSERT_EQ(corpus.size(), golden.size());
  int mismatches = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string text = corpus[i].get<std::string>();
    const auto want = golden[i]["ids"].get<std::vector<int32_t>>();
    auto got = tok_->Encode(text);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    if (*got != want && ++mismatches <= 5) {
      ADD_FAILURE() << "line " << i + 1 << " " << corpus[i].dump() << "\n  want " << Join(want)
                    << "\n  got  " << Join(*got);
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << corpus.size() << " strings";
}

class GoldenDecodeTest : public GoldenTest {};

TEST_P(GoldenDecodeTest, DecodeMatchesHuggingFace) {
  const std::string path = "tests/data/tokenizer/goldens/decode_" + GetParam().name + ".jsonl";
  const auto golden = ReadJsonl(SourcePath(path));
  ASSERT_GE(golden.size(), 100u);
  for (const auto& row : golden) {
    const auto ids = row["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok_->Decode(ids, false), row["text"].get<std::string>()) << row.dump();
    EXPECT_EQ(tok_->Decode(ids, true), row["text_skip"].get<std::string>()) << row.dump();
  }
}

std::string ConfigName(const ::testing::TestParamInfo<GoldenConfig>& param_info) {
  return param_info.param.name;
}

std::vector<GoldenConfig> DecodeConfigs() {
  std::vector<GoldenConfig> out;
  for (const GoldenConfig& c : testing::GoldenConfigs()) {
    if (c.has_decode_goldens) out.push_back(c);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Configs, GoldenTest, ::testing::ValuesIn(testing::GoldenConfigs()),
                         ConfigName);
INSTANTIATE_TEST_SUITE_P(Configs, GoldenDecodeTest, ::testing::ValuesIn(DecodeConfigs()),
                         ConfigName);

// Offsets: HF gives each token the original span of its characters. Where NFC changes nothing
// ours are identical; where it composes, HF drops the composed-away characters from the span
// (leaving gaps) while ours cover them, so there ours must contain HF's.
TEST(GoldenOffsets, MatchHuggingFace) {
  const GoldenConfig c = testing::GoldenConfigs()[0];
  if (!testing::Exists(SourcePath(c.json))) GTEST_SKIP() << c.json << " missing";
  auto tok = testing::LoadGoldenConfig(c);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const auto corpus = ReadJsonl(SourcePath("tests/data/tokenizer/corpus.jsonl"));
  const auto golden = ReadJsonl(SourcePath("tests/data/tokenizer/goldens/encode_qwen3.jsonl"));
  int exact = 0, contained = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string text = corpus[i].get<std::string>();
    const auto want = golden[i]["offsets"].get<std::vector<std::pair<size_t, size_t>>>();
    std::vector<std::pair<size_t, size_t>> got;
    ASSERT_TRUE(tok->EncodeWithOffsets(text, &got).ok());
    ASSERT_EQ(got.size(), want.size()) << corpus[i].dump();
    std::string nfc;
    NormalizeNfc(text, &nfc, nullptr);
    if (nfc == text) {
      EXPECT_EQ(got, want) << "line " << i + 1 << " " << corpus[i].dump();
      ++exact;
      continue;
    }
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_TRUE(got[k].first <= want[k].first && want[k].second <= got[k].second)
          << "line " << i + 1 << " token " << k;
    }
    ++contained;
  }
  EXPECT_GT(exact, 1900);
  EXPECT_GT(contained, 50);
}

}  // namespace
}  // namespace haloguard::tokenizer
