// The hand-written split against the HF regex: 124 vectors the shared oracle run recorded with
// the Qwen3.5 skeleton (oracle_pretokenize_vectors.jsonl), plus hand-worked cases for the
// backtracking rules of each alternative. The 2,000-string goldens cover the rest end to end.
#include "tokenizer/pretokenize.h"

#include <gtest/gtest.h>

#include "tokenizer/test_util.h"

namespace haloguard::tokenizer {
namespace {

using testing::ReadJsonl;
using testing::SourcePath;

std::vector<std::string> Pieces(SplitPattern p, std::string_view text) {
  std::vector<size_t> ends;
  PreTokenize(p, text, &ends);
  std::vector<std::string> out;
  size_t begin = 0;
  for (size_t end : ends) {
    out.emplace_back(text.substr(begin, end - begin));
    begin = end;
  }
  return out;
}

using V = std::vector<std::string>;

TEST(PreTokenize, MatchesOracleVectors) {
  const auto rows = ReadJsonl(SourcePath("tests/data/tokenizer/oracle_pretokenize_vectors.jsonl"));
  ASSERT_EQ(rows.size(), 124u);
  for (const auto& row : rows) {
    EXPECT_EQ(Pieces(SplitPattern::kQwen35, row["normalized"].get<std::string>()),
              row["pretokenize_str_whole"].get<V>())
        << row["text"].dump();
  }
}

TEST(PreTokenize, SkeletonIdsMatchOracleVectors) {
  auto tok = Tokenizer::Load(SourcePath("tests/data/tokenizer/qwen35_skeleton.tokenizer.json"), "");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  for (const auto& row :
       ReadJsonl(SourcePath("tests/data/tokenizer/oracle_pretokenize_vectors.jsonl"))) {
    auto ids = tok->Encode(row["text"].get<std::string>());
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, row["skeleton_ids"].get<std::vector<int32_t>>()) << row["text"].dump();
  }
}

TEST(PreTokenize, Contractions) {
  const auto p = SplitPattern::kQwen35;
  EXPECT_EQ(Pieces(p, "I'm we'VE they'll"), (V{"I", "'m", " we", "'VE", " they", "'ll"}));
  EXPECT_EQ(Pieces(p, "'sa"), (V{"'s", "a"}));            // contraction wins over '[letters]
  EXPECT_EQ(Pieces(p, "'\u017Fa"), (V{"'\u017F", "a"}));  // LONG S case-folds to s
  EXPECT_EQ(Pieces(p, "'x"), (V{"'x"}));
  EXPECT_EQ(Pieces(p, "'l"), (V{"'l"}));            // 'l alone is not 'll
  EXPECT_EQ(Pieces(p, "\u2019s"), (V{"\u2019s"}));  // only the ASCII apostrophe
}

TEST(PreTokenize, WhiteSpaceBacktracking) {
  const auto p = SplitPattern::kQwen35;
  EXPECT_EQ(Pieces(p, "a   b"), (V{"a", "  ", " b"}));              // \s+(?!\S) leaves one space
  EXPECT_EQ(Pieces(p, "a \n\n  b"), (V{"a", " \n\n", " ", " b"}));  // \s*[\r\n]+ ends at last \n
  EXPECT_EQ(Pieces(p, "x  "), (V{"x", "  "}));                      // run at end of text
  EXPECT_EQ(Pieces(p, "\t1"), (V{"\t", "1"}));                      // lone \s before non-space
  EXPECT_EQ(Pieces(p, "a\u3000b"), (V{"a", "\u3000b"}));            // any \s but CR/LF prefixes
  EXPECT_EQ(Pieces(p, "a\nb"), (V{"a", "\n", "b"}));
  EXPECT_EQ(Pieces(p, " ?!\n\nx"), (V{" ?!\n\n", "x"}));  // punctuation takes CR/LF
}

TEST(PreTokenize, MarksDifferBetweenPatterns) {
  // Qwen3.5 puts marks with letters; Qwen2/3 puts them with punctuation.
  EXPECT_EQ(Pieces(SplitPattern::kQwen35, "\u0301\u0301x 1\u0301"),
            (V{"\u0301\u0301x", " ", "1", "\u0301"}));
  EXPECT_EQ(Pieces(SplitPattern::kQwen2, "\u0301\u0301x 1\u0301"),
            (V{"\u0301\u0301", "x", " ", "1", "\u0301"}));
  EXPECT_EQ(Pieces(SplitPattern::kQwen2, "a\u0301b"), (V{"a", "\u0301b"}));
  EXPECT_EQ(Pieces(SplitPattern::kQwen35, "a\u0301b"), (V{"a\u0301b"}));
}

TEST(PreTokenize, Digits) {
  EXPECT_EQ(Pieces(SplitPattern::kQwen35, "x2024 \u0661\u0662"),
            (V{"x", "2", "0", "2", "4", " ", "\u0661", "\u0662"}));
  EXPECT_TRUE(Pieces(SplitPattern::kQwen35, "").empty());
}

TEST(PreTokenize, PatternsRoundTrip) {
  for (SplitPattern p : {SplitPattern::kQwen2, SplitPattern::kQwen35}) {
    EXPECT_EQ(SplitPatternFromRegex(SplitPatternRegex(p)), p);
  }
  EXPECT_FALSE(SplitPatternFromRegex("\\s+").has_value());
}

}  // namespace
}  // namespace haloguard::tokenizer
