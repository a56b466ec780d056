// Tokenizer API on the tiny tokenizer: added tokens from tokenizer_config.json, errors for bad
// input and bad files (each names what it expected), offsets, concurrency, hostile sizes; and the
// real Qwen3.5 vocabulary when HG_QWEN35_TOKENIZER_DIR points at it.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "core/utf8.h"
#include "tokenizer/nfc.h"
#include "tokenizer/test_util.h"

namespace haloguard::tokenizer {
namespace {

using nlohmann::json;
using testing::ReadJsonl;
using testing::SourcePath;

const std::string kTinyDir = "tests/data/tiny_tokenizer";

Tokenizer Tiny() {
  auto tok = Tokenizer::LoadFromDir(SourcePath(kTinyDir));
  HG_CHECK(tok.ok()) << tok.status().ToString();
  return *tok;
}

TEST(Tokenizer, TinyVocabularyAndAddedTokens) {
  const Tokenizer tok = Tiny();
  EXPECT_EQ(tok.vocab_size(), 789);  // 256 bytes + 500 merges + 33 added: fits 1024 ids
  EXPECT_EQ(tok.TokenToId("<|endoftext|>"), 756);
  EXPECT_EQ(tok.TokenToId("<think>"), 780);  // from tokenizer_config.json, as transformers adds it
  EXPECT_EQ(tok.TokenToId("<|audio_pad|>"), 788);
  EXPECT_EQ(tok.IdToToken(780), "<think>");
  EXPECT_EQ(tok.IdToToken(-1), "");
  EXPECT_EQ(tok.IdToToken(789), "");
  EXPECT_TRUE(tok.IsSpecial(*tok.TokenToId("<|im_end|>")));
  EXPECT_FALSE(tok.IsSpecial(780));
  EXPECT_TRUE(tok.IsSpecial(788));            // config-only token flagged special
  EXPECT_EQ(tok.TokenToId("\xC4\xA0"), 220);  // "Ġ" is the space byte token
  EXPECT_FALSE(tok.TokenToId("no such token").has_value());
  auto ids = tok.Encode("<think>hi</think>");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->front(), 780);
  EXPECT_EQ(ids->back(), 781);
}

TEST(Tokenizer, WithoutConfigThinkIsPlainText) {
  auto tok = Tokenizer::Load(SourcePath(kTinyDir + "/tokenizer.json"), "");
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(tok->vocab_size(), 778);
  EXPECT_FALSE(tok->TokenToId("<think>").has_value());
  EXPECT_GT(tok->Encode("<think>")->size(), 1u);
}

TEST(Tokenizer, RejectsIllFormedUtf8) {
  const Tokenizer tok = Tiny();
  for (const std::string& bad :
       {std::string("abc\xFF"), std::string("ab\xC3"), std::string("\xED\xA0\x80"),
        std::string("ok \xF4\x90\x80\x80"), std::string("a\xC0\xAF")}) {
    auto ids = tok.Encode(bad);
    ASSERT_FALSE(ids.ok());
    EXPECT_EQ(ids.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(ids.status().message().find("byte offset"), std::string::npos)
        << ids.status().message();
  }
  EXPECT_NE(tok.Encode("abc\xFF").status().message().find("byte offset 3"), std::string::npos);
  EXPECT_TRUE(tok.Encode(std::string("nul \0 inside", 12)).ok());
}

TEST(Tokenizer, DecodeSkipsUnknownIdsAndReplacesBadBytes) {
  const Tokenizer tok = Tiny();
  const std::vector<int32_t> ids = {-5, 757, 39, 789, 1 << 30, 758};
  EXPECT_EQ(tok.Decode(ids, false), "<|im_start|>H<|im_end|>");
  EXPECT_EQ(tok.Decode(ids, true), "H");
  const int32_t lead = *tok.TokenToId("\xC3\xA3");  // byte 0xE3 alone: a truncated sequence
  EXPECT_EQ(tok.Decode(std::vector<int32_t>{lead, 39}, false), "\xEF\xBF\xBDH");
  EXPECT_EQ(tok.Decode({}, false), "");
}

// Spans: non-decreasing, whole characters, covering every byte of the text, for the corpus.
TEST(Tokenizer, OffsetsCoverTheText) {
  const Tokenizer tok = Tiny();
  for (const auto& line : ReadJsonl(SourcePath("tests/data/tokenizer/corpus.jsonl"))) {
    const std::string text = line.get<std::string>();
    std::vector<std::pair<size_t, size_t>> spans;
    auto ids = tok.EncodeWithOffsets(text, &spans);
    ASSERT_TRUE(ids.ok());
    ASSERT_EQ(spans.size(), ids->size());
    size_t covered = 0;
    for (size_t k = 0; k < spans.size(); ++k) {
      const auto [b, e] = spans[k];
      ASSERT_LT(b, e);
      ASSERT_LE(e, text.size());
      ASSERT_TRUE(k == 0 || b >= spans[k - 1].first) << line.dump();
      ASSERT_LE(b, covered) << "gap before token " << k << " of " << line.dump();
      ASSERT_NE(static_cast<uint8_t>(text[b]) & 0xC0, 0x80);
      covered = std::max(covered, e);
    }
    ASSERT_EQ(covered, text.size()) << line.dump();
  }
}

TEST(Tokenizer, ConcurrentEncodeMatchesSequential) {
  const Tokenizer tok = Tiny();
  const auto corpus = ReadJsonl(SourcePath("tests/data/tokenizer/corpus.jsonl"));
  std::vector<std::vector<int32_t>> want;
  for (const auto& s : corpus) want.push_back(*tok.Encode(s.get<std::string>()));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < corpus.size(); ++i) {
        const size_t k = (i * 7 + static_cast<size_t>(t) * 131) % corpus.size();
        if (*tok.Encode(corpus[k].get<std::string>()) != want[k]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// Byte-level BPE is lossless: decoding gives back the (normalized) text. Random bytes either
// encode (exactly when they are valid UTF-8) or are refused; nothing else can happen.
TEST(Tokenizer, RoundTripAndRandomBytes) {
  const Tokenizer tok = Tiny();
  int exact = 0;
  for (const auto& line : ReadJsonl(SourcePath("tests/data/tokenizer/corpus.jsonl"))) {
    const std::string text = line.get<std::string>();
    std::string nfc;
    NormalizeNfc(text, &nfc, nullptr);
    if (nfc != text) continue;
    EXPECT_EQ(tok.Decode(*tok.Encode(text), false), text) << line.dump();
    ++exact;
  }
  EXPECT_GT(exact, 3500);  // most of the 4,097 corpus strings are already NFC
  std::mt19937 rng(7);
  for (int n = 0; n < 20000; ++n) {
    std::string bytes(rng() % 24, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 4 ? rng() % 256 : 0x80 + rng() % 64);
    auto ids = tok.Encode(bytes);
    ASSERT_EQ(ids.ok(), ValidateUtf8(bytes).ok()) << ::testing::PrintToString(bytes);
    if (!ids.ok()) {
      ASSERT_EQ(ids.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    std::string nfc;
    NormalizeNfc(bytes, &nfc, nullptr);
    ASSERT_EQ(tok.Decode(*ids, false), nfc);
  }
}

// Sizes an attacker controls: long words (heap BPE), huge mark runs (one NFC segment).
TEST(Tokenizer, HostileSizes) {
  const Tokenizer tok = Tiny();
  const std::string word(1 << 20, 'a');
  auto ids = tok.Encode(word);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(tok.Decode(*ids, false), word);
  std::string marks = "e";
  for (int i = 0; i < 50000; ++i) marks += (i % 2) ? "\u0316" : "\u0301";
  auto mark_ids = tok.Encode(marks);
  ASSERT_TRUE(mark_ids.ok());
  EXPECT_FALSE(mark_ids->empty());
}

// ---- Bad files: each error names the file, the field and what was expected ----

class BadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hg_tok_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ifstream in(SourcePath(kTinyDir + "/tokenizer.json"));
    json_ = json::parse(in);
    std::ifstream cin(SourcePath(kTinyDir + "/tokenizer_config.json"));
    config_ = json::parse(cin);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes the (modified) files and loads them.
  Status LoadModified() {
    std::ofstream(dir_ / "tokenizer.json") << json_.dump();
    std::ofstream(dir_ / "tokenizer_config.json") << config_.dump();
    return Tokenizer::LoadFromDir(dir_.string()).status();
  }
  void ExpectError(StatusCode code, const std::string& fragment) {
    const Status s = LoadModified();
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(fragment), std::string::npos) << s.ToString();
  }

  std::filesystem::path dir_;
  json json_, config_;
};

TEST_F(BadFileTest, UnmodifiedLoads) { EXPECT_TRUE(LoadModified().ok()); }

TEST_F(BadFileTest, MissingOrMalformed) {
  EXPECT_EQ(Tokenizer::LoadFromDir((dir_ / "nope").string()).status().code(),
            StatusCode::kNotFound);
  std::ofstream(dir_ / "tokenizer.json") << "{\"model\": ";
  EXPECT_EQ(Tokenizer::Load((dir_ / "tokenizer.json").string(), "").status().code(),
            StatusCode::kInvalidArgument);
  std::ofstream(dir_ / "tokenizer.json") << "[1, 2]";
  EXPECT_EQ(Tokenizer::Load((dir_ / "tokenizer.json").string(), "").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(BadFileTest, UnsupportedPipelines) {
  json_["normalizer"] = {{"type", "NFKC"}};
  ExpectError(StatusCode::kUnimplemented, "normalizer");
  SetUp();
  json_["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\s+";
  ExpectError(StatusCode::kUnimplemented, "Split regex");
  SetUp();
  json_["pre_tokenizer"]["pretokenizers"][1]["add_prefix_space"] = true;
  ExpectError(StatusCode::kUnimplemented, "pretokenizers[1]");
  SetUp();
  json_["model"]["type"] = "WordPiece";
  ExpectError(StatusCode::kUnimplemented, "model");
  SetUp();
  json_["model"]["continuing_subword_prefix"] = "##";
  ExpectError(StatusCode::kUnimplemented, "continuing_subword_prefix");
  SetUp();
  json_["decoder"] = nullptr;
  ExpectError(StatusCode::kUnimplemented, "decoder");
  SetUp();
  json_["added_tokens"][0]["lstrip"] = true;
  ExpectError(StatusCode::kUnimplemented, "added_tokens[0].lstrip");
}

TEST_F(BadFileTest, MalformedVocabAndMerges) {
  json_["model"]["vocab"]["x"] = "seven";
  ExpectError(StatusCode::kInvalidArgument, "model.vocab[\"x\"]: expected an integer id");
  SetUp();
  json_["model"]["vocab"]["x"] = json::object({{"nested", 1}});
  ExpectError(StatusCode::kInvalidArgument, "model.vocab[\"x\"]");
  SetUp();
  json_["model"]["merges"][2] = 17;
  ExpectError(StatusCode::kInvalidArgument, "model.merges[2]");
  SetUp();
  json_["model"]["merges"][4] = json::array({"a", "b", "c"});
  ExpectError(StatusCode::kInvalidArgument, "model.merges[4]");
  SetUp();
  json_["model"]["merges"][5] = json::array({json::array({"a"}), "b"});
  ExpectError(StatusCode::kInvalidArgument, "model.merges[5]");
  SetUp();
  json_["model"].erase("merges");
  ExpectError(StatusCode::kInvalidArgument, "\"merges\" array");
  SetUp();
  json_["model"]["merges"] = json::object();  // an object where the array belongs
  ExpectError(StatusCode::kInvalidArgument, "merges");
}

TEST_F(BadFileTest, InconsistentVocabulary) {
  json_["model"]["merges"][3] = json::array({"\xC4\xA0", "no-such-token"});
  ExpectError(StatusCode::kInvalidArgument, "model.merges[3]");
  SetUp();
  json_["model"]["merges"][0] = "one two three";
  ExpectError(StatusCode::kInvalidArgument, "model.merges[0]");
  SetUp();
  json_["model"]["vocab"]["duplicate"] = 5;
  ExpectError(StatusCode::kInvalidArgument, "used twice");
  SetUp();
  json_["model"]["vocab"]["negative"] = -1;
  ExpectError(StatusCode::kInvalidArgument, "expected an id");
  SetUp();
  const json byte0 = json_["model"]["vocab"]["\xC4\x80"];  // byte 0x00's token, in no merge
  json_["model"]["vocab"].erase("\xC4\x80");
  json_["model"]["vocab"]["renamed"] = byte0;
  ExpectError(StatusCode::kInvalidArgument, "byte-level token");
  SetUp();
  json_["added_tokens"][1]["id"] = 5;  // HF would renumber it (and warn)
  ExpectError(StatusCode::kInvalidArgument, "HF tokenizers gives \"<|im_start|>\" id 757");
  SetUp();
  json_["model"]["vocab"]["<|endoftext|>"] = 900;  // an added token's content in the model vocab
  json_["added_tokens"][0]["id"] = 900;            // takes that id, and is not "new"
  config_["added_tokens_decoder"]["900"] = config_["added_tokens_decoder"]["756"];
  config_["added_tokens_decoder"].erase("756");
  EXPECT_EQ(LoadModified().ToString(), "OK");  // so the others keep theirs (as in HF)
  json_["added_tokens"][0]["id"] = 756;
  ExpectError(StatusCode::kInvalidArgument, "gives \"<|endoftext|>\" id 900");
}

TEST_F(BadFileTest, ConfigTokensMustGetTheirIds) {
  config_["added_tokens_decoder"].erase("778");  // leaves a gap: 779 would become 778
  ExpectError(StatusCode::kInvalidArgument, "HF tokenizers gives \"</tool_response>\" id 778");
  SetUp();
  config_["added_tokens_decoder"]["756"]["content"] = "<|im_start|>";  // tokenizer.json says 757
  ExpectError(StatusCode::kInvalidArgument,
              "gives \"<|im_start|>\" id 757; expected that id, got 756");
  SetUp();
  config_["added_tokens_decoder"] = json::array();
  ExpectError(StatusCode::kInvalidArgument, "added_tokens_decoder");
}

// known_ids_external.jsonl (shared data, not committed: collected from other projects): ids the
// real Qwen3.5 tokenizer produced. Found through HG_QWEN35_KNOWN_IDS or the shared folder.
std::string KnownIdsPath() {
  if (const char* env = std::getenv("HG_QWEN35_KNOWN_IDS")) return env;
  return SourcePath("tests/data/tokenizer/known_ids_external.jsonl");
}

// The added-token ids of `ids` (those >= first_added), and the number of other tokens before,
// between and after them.
std::pair<std::vector<int32_t>, std::vector<size_t>> SplitAtAdded(const std::vector<int32_t>& ids,
                                                                  int32_t first_added) {
  std::vector<int32_t> added;
  std::vector<size_t> runs(1, 0);
  for (int32_t id : ids) {
    if (id < first_added) {
      ++runs.back();
    } else {
      added.push_back(id);
      runs.push_back(0);
    }
  }
  return {added, runs};
}

// Without the real vocab, the skeleton (real pipeline and added-token ids, byte tokens only) must
// still agree with real Qwen3.5 output on every added token (ids and order, <think> included),
// and each stretch between added tokens must hold at most one real token per byte, and be empty
// exactly where ours is.
TEST(RealQwen35, SkeletonAgreesWithRecordedIds) {
  const std::string path = KnownIdsPath();
  auto tok = Tokenizer::Load(SourcePath("tests/data/tokenizer/qwen35_skeleton.tokenizer.json"), "");
  ASSERT_TRUE(tok.ok());
  constexpr int32_t kFirstAdded = 248044;
  int checked = 0;
  for (const auto& row : ReadJsonl(path)) {
    if (row["mode"] != "encode(add_special_tokens=False)") continue;
    const auto real = row["ids"].get<std::vector<int32_t>>();
    const auto ours = *tok->Encode(row["text"].get<std::string>());
    const auto [real_added, real_runs] = SplitAtAdded(real, kFirstAdded);
    const auto [our_added, our_runs] = SplitAtAdded(ours, kFirstAdded);
    EXPECT_EQ(real_added, our_added) << row["text"].dump();
    ASSERT_EQ(real_runs.size(), our_runs.size());
    for (size_t k = 0; k < real_runs.size(); ++k) {
      EXPECT_LE(real_runs[k], our_runs[k]) << row["text"].dump();  // skeleton: one token per byte
      EXPECT_EQ(real_runs[k] == 0, our_runs[k] == 0) << row["text"].dump();
    }
    ++checked;
  }
  EXPECT_GE(checked, 100);
}

// The real Qwen3.5 vocabulary is not in the repository (12.8 MB, see PROVENANCE.md). With
// HG_QWEN35_TOKENIZER_DIR set to a Qwen/Qwen3.5-0.8B snapshot, check the 111 id vectors other
// projects recorded from it (known_ids_external.jsonl in the shared data).
TEST(RealQwen35, KnownIds) {
  const char* dir = std::getenv("HG_QWEN35_TOKENIZER_DIR");
  const std::string known = KnownIdsPath();
  if (!dir) {
    GTEST_SKIP() << "needs the real Qwen3.5 vocabulary (not in the repo): set "
                    "HG_QWEN35_TOKENIZER_DIR to a Qwen/Qwen3.5-0.8B snapshot";
  }
  auto tok = Tokenizer::LoadFromDir(dir);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ(tok->vocab_size(), 248077);
  for (const auto& row : ReadJsonl(known)) {
    auto ids = tok->Encode(row["text"].get<std::string>());
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, row["ids"].get<std::vector<int32_t>>()) << row["text"].dump();
  }
}

}  // namespace
}  // namespace haloguard::tokenizer
