// Live evaluation with a fake guard::Classifier: scores written as they come, resume after an
// interruption (and after a torn last line), refusal to mix texts or models, per-prompt failures
// under skip and fail, and refreshed labels.
#include "eval/runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "core/mapped_file.h"
#include "eval/calibration_metrics.h"
#include "eval/progress.h"

namespace haloguard::eval {
namespace {

// A deterministic stand-in for the model: the logit is a function of the text's bytes, and the
// text "FAIL" is rejected the way the guard rejects bad input.
class FakeClassifier : public guard::Classifier {
 public:
  explicit FakeClassifier(std::string model_id = "fake") { info_.model_id = std::move(model_id); }

  static double LogitOf(const std::string& text) {
    return static_cast<double>(std::hash<std::string>{}(text) % 1000) / 100.0 - 5.0;
  }

  std::vector<StatusOr<guard::GuardResult>> ClassifyBatch(
      std::span<const guard::ClassifyRequest> requests) override {
    ++batches;
    std::vector<StatusOr<guard::GuardResult>> out;
    for (const auto& req : requests) {
      ++prompts;
      if (req.text == "FAIL") {
        out.push_back(InvalidArgumentError("guard: text rejected"));
        continue;
      }
      guard::GuardResult r;
      const double z = LogitOf(req.text);
      r.p_unsafe = Sigmoid(z);
      r.p_safe = Sigmoid(-z);
      r.category = r.p_unsafe >= 0.65 ? "fraud_and_social_engineering" : "none";
      r.window_count = 1 + static_cast<int>(req.text.size() / 100);
      out.push_back(r);
    }
    return out;
  }
  StatusOr<int64_t> CountTokens(std::string_view text) const override {
    return static_cast<int64_t>(text.size());
  }
  const guard::ModelInfo& info() const override { return info_; }
  // One token per byte (the runner never tokenizes; present to complete the interface).
  StatusOr<guard::TokenizedText> Tokenize(std::string_view text) const override {
    guard::TokenizedText t;
    for (size_t i = 0; i < text.size(); ++i) {
      t.ids.push_back(static_cast<unsigned char>(text[i]));
      t.spans.emplace_back(i, i + 1);
    }
    return t;
  }
  std::vector<StatusOr<guard::WindowVerdict>> ScoreWindows(
      std::span<const std::vector<int32_t>> windows, bool,
      const std::function<bool()>&) override {
    std::vector<StatusOr<guard::WindowVerdict>> out;
    for (const auto& w : windows) {
      guard::WindowVerdict v;
      v.p_unsafe = Sigmoid(LogitOf(std::string(w.begin(), w.end())));
      out.push_back(v);
    }
    return out;
  }

  int batches = 0;
  int prompts = 0;

 private:
  guard::ModelInfo info_;
};

std::string Fixture(const std::string& name) {
  return std::string(HG_SOURCE_DIR) + "/tests/data/eval/" + name;
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    StatusOr<Dataset> ds = ReadDataset({"mine", Fixture("prompts.jsonl")}, BadRowPolicy::kFail);
    ASSERT_TRUE(ds.ok()) << ds.status().ToString();
    datasets_.push_back(std::move(*ds));
    options_.scores_path = (dir_ / "scores.jsonl").string();
    options_.batch_size = 4;
    options_.show_progress = false;
  }

  std::filesystem::path dir_;
  std::vector<Dataset> datasets_;
  RunOptions options_;
};

TEST_F(RunnerTest, ScoresEveryPromptAndSavesThem) {
  FakeClassifier fake;
  StatusOr<RunResult> run = RunEval(fake, datasets_, options_);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->classified, 20);
  EXPECT_EQ(run->resumed, 0);
  EXPECT_EQ(fake.batches, 5);  // 20 prompts / 4
  ASSERT_EQ(run->records.size(), 20u);
  for (size_t i = 0; i < 20; ++i) {
    const LabelledExample& ex = datasets_[0].examples[i];
    const ScoreRecord& r = run->records[i];
    EXPECT_EQ(r.id, ex.id);
    EXPECT_EQ(r.label, ex.label);
    EXPECT_EQ(r.text_sha256, Sha256Hex(ex.text));
    // logit = log(p_unsafe) - log(p_safe) of two sigmoids: a few ulps of |z| <= 5.
    EXPECT_NEAR(r.logit, FakeClassifier::LogitOf(ex.text), 1e-13);
    EXPECT_EQ(r.text, "");  // hashes only by default
  }
  EXPECT_EQ(run->records[4].lang_group, LangGroup::kCjk);
  EXPECT_EQ(run->records[15].lang_group, LangGroup::kCjk);  // p16, Korean, from script
  EXPECT_EQ(run->records[15].lang_group_source, LangGroupSource::kScript);
  StatusOr<ScoresFile> saved = ReadScores(options_.scores_path, BadRowPolicy::kFail);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->records.size(), 20u);
  EXPECT_TRUE(std::filesystem::exists(options_.scores_path + ".meta.json"));
}

TEST_F(RunnerTest, ResumesAfterInterruption) {
  {
    std::vector<Dataset> first = datasets_;
    first[0].examples.resize(9);  // an earlier run that stopped after 9 prompts
    FakeClassifier fake;
    ASSERT_TRUE(RunEval(fake, first, options_).ok());
  }
  // A crash in the middle of a write leaves a torn last line: it is dropped and rescored.
  std::ofstream(options_.scores_path, std::ios::app) << R"({"id": "p10", "datas)";
  FakeClassifier fake;
  StatusOr<RunResult> run = RunEval(fake, datasets_, options_);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->resumed, 9);
  EXPECT_EQ(run->classified, 11);
  EXPECT_EQ(fake.prompts, 11);
  EXPECT_EQ(run->records.size(), 20u);
  StatusOr<ScoresFile> saved = ReadScores(options_.scores_path, BadRowPolicy::kFail);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(saved->records.size(), 20u);
  EXPECT_FALSE(saved->truncated_tail);
  // Nothing left to do on a third run.
  FakeClassifier idle;
  ASSERT_TRUE(RunEval(idle, datasets_, options_).ok());
  EXPECT_EQ(idle.prompts, 0);
}

TEST_F(RunnerTest, RefusesChangedTextOrModelUnlessRestarted) {
  FakeClassifier fake;
  ASSERT_TRUE(RunEval(fake, datasets_, options_).ok());
  std::vector<Dataset> edited = datasets_;
  edited[0].examples[3].text += " (edited)";
  StatusOr<RunResult> run = RunEval(fake, edited, options_);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(run.status().message().find("id 'p04' of another text"), std::string::npos)
      << run.status().message();
  FakeClassifier other("another-model");
  run = RunEval(other, datasets_, options_);
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("another model"), std::string::npos);
  options_.restart = true;
  run = RunEval(other, edited, options_);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->classified, 20);
  EXPECT_EQ(other.prompts, 20);
}

TEST_F(RunnerTest, ClassifierFailuresFollowThePolicy) {
  datasets_[0].examples[6].text = "FAIL";
  FakeClassifier fake;
  StatusOr<RunResult> run = RunEval(fake, datasets_, options_);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->records.size(), 19u);
  EXPECT_EQ(run->classified, 19);
  ASSERT_EQ(run->failed.size(), 1u);
  EXPECT_EQ(run->failed[0].line, 7);
  EXPECT_NE(run->failed[0].reason.find("classify: guard: text rejected"), std::string::npos);
  options_.restart = true;
  options_.on_failure = BadRowPolicy::kFail;
  run = RunEval(fake, datasets_, options_);
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("prompts.jsonl:7: classify:"), std::string::npos)
      << run.status().message();
}

TEST_F(RunnerTest, RefreshesChangedLabelsInTheScoresFile) {
  FakeClassifier fake;
  ASSERT_TRUE(RunEval(fake, datasets_, options_).ok());
  datasets_[0].examples[0].label = Label::kUnsafe;  // a corrected dataset, same text
  FakeClassifier again;
  StatusOr<RunResult> run = RunEval(again, datasets_, options_);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(again.prompts, 0);
  EXPECT_EQ(run->records[0].label, Label::kUnsafe);
  StatusOr<ScoresFile> saved = ReadScores(options_.scores_path, BadRowPolicy::kFail);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->records[0].label, Label::kUnsafe);
}

TEST_F(RunnerTest, SavesTextWhenAsked) {
  options_.save_text = true;
  FakeClassifier fake;
  StatusOr<RunResult> run = RunEval(fake, datasets_, options_);
  ASSERT_TRUE(run.ok());
  StatusOr<ScoresFile> saved = ReadScores(options_.scores_path, BadRowPolicy::kFail);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->records[4].text, "今天北京的天气怎么样？");
}

TEST_F(RunnerTest, RejectsBadBatchSize) {
  options_.batch_size = 0;
  FakeClassifier fake;
  EXPECT_EQ(RunEval(fake, datasets_, options_).status().code(), StatusCode::kInvalidArgument);
}

TEST(ProgressBar, FormatsCountsRateAndEta) {
  EXPECT_EQ(ProgressBar::FormatStatus(250, 1000, 50.0), "250/1000  25%  50.0/s  ETA 15s");
  EXPECT_EQ(ProgressBar::FormatStatus(0, 7200, 1.0), "0/7200   0%  1.0/s  ETA 2h00m");
  EXPECT_EQ(ProgressBar::FormatStatus(5, 10, 0.0), "5/10  50%  0.0/s  ETA ?");
}

TEST(ProgressBar, WritesOneLinePerTenthWhenNotATerminal) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar(100, 20, "eval", true, f);  // 20 resumed
    for (int i = 0; i < 80; ++i) bar.Advance(1, "mine");
  }
  std::rewind(f);
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) text += buf;
  std::fclose(f);
  // 20% at the start, then 30%, ..., 100%: 9 lines, each starting "eval: ".
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 9) << text;
  EXPECT_NE(text.find("eval: 20/100  20%"), std::string::npos) << text;
  EXPECT_NE(text.find("eval: 100/100 100%"), std::string::npos) << text;
  EXPECT_NE(text.find("mine"), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST(ProgressBar, DisabledPrintsNothing) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar(10, 0, "eval", false, f);
    bar.Advance(10);
  }
  EXPECT_EQ(std::ftell(f), 0);
  std::fclose(f);
}

}  // namespace
}  // namespace haloguard::eval
