// The guard bench's inputs on the tiny checkpoint with its tokenizer: texts have exactly the token
// counts asked for (as the classifier counts them), the corpus and prompt reader behave, and the
// uncached guard really runs the system prompt for every window.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "bench/guard_workload.h"
#include "guard/guard.h"
#include "guard/prompt.h"
#include "tokenizer/tokenizer.h"

namespace haloguard::bench {
namespace {

const std::string kModelDir = std::string(HG_SOURCE_DIR) + "/tests/data/tiny_qwen35";

std::unique_ptr<guard::Classifier> LoadTiny() {
  guard::GuardOptions o;
  o.model = kModelDir;
  o.offline = true;
  o.threads = 2;
  auto c = guard::LoadClassifier(o);
  HG_CHECK(c.ok()) << c.status().ToString();
  return std::move(*c);
}

TEST(GuardWorkload, TextsHaveTheRequestedTokenCount) {
  auto c = LoadTiny();
  for (int64_t n : {1, 7, 40, 300, 1201}) {
    auto text = TextOfTokens(*c, n, static_cast<int>(n));
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    auto t = c->Tokenize(*text);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(static_cast<int64_t>(t->ids.size()), n);
    // The classifier strips the text before counting; the cut leaves nothing to strip.
    guard::ClassifyRequest req{*text, false};
    auto r = c->ClassifyBatch(std::span<const guard::ClassifyRequest>(&req, 1));
    ASSERT_TRUE(r[0].ok()) << r[0].status().ToString();
    EXPECT_EQ(r[0]->prompt_tokens, n);
  }
  EXPECT_NE(*TextOfTokens(*c, 40, 1), *TextOfTokens(*c, 40, 2));
  EXPECT_EQ(TextOfTokens(*c, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(GuardWorkload, UncachedGuardRunsThePrefixForEveryWindow) {
  auto cached = LoadTiny();
  auto model = model::Model::Load(kModelDir);
  ASSERT_TRUE(model.ok());
  ThreadPool pool(2);
  auto uncached = UncachedGuard(**model, pool, kModelDir);
  ASSERT_TRUE(uncached.ok()) << uncached.status().ToString();
  auto tok = tokenizer::Tokenizer::LoadFromDir(kModelDir);
  ASSERT_TRUE(tok.ok());
  const int64_t prefix = static_cast<int64_t>(guard::BuildPromptIds(*tok)->prefix.size());
  ASSERT_GT(prefix, 0);
  const guard::ClassifyRequest req{*TextOfTokens(*cached, 40), false};
  auto a = cached->ClassifyBatch(std::span<const guard::ClassifyRequest>(&req, 1));
  auto b = (*uncached)->ClassifyBatch(std::span<const guard::ClassifyRequest>(&req, 1));
  ASSERT_TRUE(a[0].ok() && b[0].ok());
  EXPECT_EQ(std::stoll(b[0]->debug.at("tokens_processed")) - std::stoll(a[0]->debug.at("tokens_processed")),
            prefix);
  EXPECT_EQ(a[0]->safety_label, b[0]->safety_label);
}

TEST(GuardWorkload, CorpusReachesTheRequestedSize) {
  const std::vector<std::string> corpus = TokenizerCorpus(50000);
  size_t bytes = 0, longest = 0;
  for (const std::string& s : corpus) {
    bytes += s.size();
    longest = std::max(longest, s.size());
  }
  EXPECT_GE(bytes, 50000u);
  EXPECT_LT(bytes, 50000u + longest);
}

TEST(GuardWorkload, ReadPromptsTakesTextFieldsUpToTheLimit) {
  const std::string path = (std::filesystem::temp_directory_path() / "hg_bench_prompts_test.jsonl").string();
  {
    std::ofstream f(path);
    f << "{\"text\": \"first\"}\nnot json\n[1, 2]\n{\"label\": \"safe\"}\n{\"prompt\": \"second\"}\n"
         "{\"query\": \"third\"}\n";
  }
  auto all = ReadPrompts(path, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(ReadPrompts(path, 2)->size(), 2u);
  {
    std::ofstream f(path);
    f << "{\"label\": \"safe\"}\n";
  }
  EXPECT_EQ(ReadPrompts(path, 100).status().code(), StatusCode::kInvalidArgument);
  std::filesystem::remove(path);
  EXPECT_EQ(ReadPrompts(path, 100).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace haloguard::bench
