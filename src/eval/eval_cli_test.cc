// `haloguard eval` and `haloguard calibrate` as a user runs them: report files from saved scores,
// the calibrate -> eval --calibration round trip, bad rows under skip and fail, flag errors, and
// (when a tiny checkpoint is available) the live end-to-end run.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/mapped_file.h"
#include "core/testing/shell.h"

namespace {

using Result = haloguard::test_util::ShellResult;

// Runs `haloguard ARGS`; stdout + stderr in `out`.
Result RunCli(const std::string& args) {
  return haloguard::test_util::RunShell(std::string(HG_BINARY) + " " + args + " 2>&1");
}

std::string Fixture(const std::string& name) {
  return std::string(HG_SOURCE_DIR) + "/tests/data/eval/" + name;
}

std::string TempDir(const std::string& name) {
  const auto p = std::filesystem::path(::testing::TempDir()) / name;
  std::filesystem::remove_all(p);
  return p.string();
}

nlohmann::json ReadJson(const std::string& path) {
  auto text = haloguard::ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << path;
  return text.ok() ? nlohmann::json::parse(*text) : nlohmann::json();
}

TEST(EvalCli, ReportFromSavedScores) {
  const std::string out = TempDir("cli_scores");
  const Result r = RunCli("eval --scores " + Fixture("oracle_scores.jsonl") + " --out " + out +
                          " --adjudication " + Fixture("oracle_adjudication.jsonl"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("| Model | Size | alpha | beta | gamma | delta | Avg. |"),
            std::string::npos)
      << r.out;
  for (const char* f :
       {"report.json", "report.md", "pr_curve.svg", "threshold_sweep.svg", "reliability.svg"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  }
  const nlohmann::json rep = ReadJson(out + "/report.json");
  const nlohmann::json want = ReadJson(Fixture("oracle_expected.json"));
  EXPECT_EQ(rep["overall"]["metrics"]["raw"]["tp"], want["overall"]["raw"]["tp"]);
  EXPECT_EQ(rep["overall"]["metrics"]["denoised"]["fn"], want["overall"]["denoised"]["fn"]);
  EXPECT_NEAR(rep["macro"]["raw"]["f1"].get<double>(), want["macro"]["f1"].get<double>(), 1e-13);
}

TEST(EvalCli, ScoresFromAnotherToolWithoutDatasetField) {
  const std::string out = TempDir("cli_foreign");
  std::filesystem::create_directories(out);
  const std::string scores = out + "/other-tool.jsonl";
  std::ofstream(scores) << R"({"id": "1", "label": "unsafe", "p_unsafe": 0.9})" "\n"
                        << R"({"id": "2", "label": "safe", "p_unsafe": 0.2})" "\n"
                        << R"({"id": "3", "label": "unsafe", "p_unsafe": 0.4})" "\n";
  const Result r = RunCli("eval --scores " + scores + " --out " + out + " --no-plots");
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json rep = ReadJson(out + "/report.json");
  ASSERT_EQ(rep["datasets"].size(), 1u) << rep.dump();
  EXPECT_EQ(rep["datasets"][0]["name"], "other-tool") << rep["datasets"][0].dump();
  EXPECT_EQ(rep["overall"]["metrics"]["raw"]["tp"], 1);
  EXPECT_EQ(rep["overall"]["metrics"]["raw"]["fn"], 1);
  EXPECT_EQ(rep["overall"]["metrics"]["raw"]["tn"], 1);
}

TEST(EvalCli, CalibrateThenEvaluateCalibrated) {
  const std::string out = TempDir("cli_calib");
  std::filesystem::create_directories(out);
  const std::string calib = out + "/calib.json";
  Result r = RunCli("calibrate --scores " + Fixture("oracle_scores.jsonl") + " --out " + calib);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("temperature"), std::string::npos);
  const nlohmann::json cal = ReadJson(calib);
  const double want = ReadJson(Fixture("oracle_expected.json"))["fitted_temperature"];
  EXPECT_NEAR(cal["temperature"].get<double>(), want, 1e-11 * want);
  r = RunCli("eval --scores " + Fixture("oracle_scores.jsonl") + " --calibration " + calib +
             " --out " + out + " --no-plots");
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json rep = ReadJson(out + "/report.json");
  EXPECT_NEAR(rep["config"]["temperature"].get<double>(), want, 1e-11 * want);
  // Temperature scaling minimises NLL on these very records: it cannot be worse than T = 1.
  EXPECT_LE(rep["overall"]["calibration"]["calibrated"]["nll"].get<double>(),
            rep["overall"]["calibration"]["raw"]["nll"].get<double>());
  EXPECT_FALSE(std::filesystem::exists(out + "/pr_curve.svg"));
}

TEST(EvalCli, BadScoreRowsAreSkippedOrFatal) {
  const std::string out = TempDir("cli_bad");
  std::filesystem::create_directories(out);
  const std::string scores = out + "/scores.jsonl";
  std::ofstream(scores) << R"({"id": "1", "dataset": "d", "label": "unsafe", "p_unsafe": 0.9})"
                           "\n"
                        << R"({"id": "2", "dataset": "d", "label": "harmful", "p_unsafe": 0.1})"
                           "\n"
                        << R"({"id": "3", "dataset": "d", "label": "safe", "p_unsafe": 0.2})"
                           "\n";
  Result r = RunCli("eval --scores " + scores + " --out " + out + " --on-bad-row fail");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("scores.jsonl:2: unknown label"), std::string::npos) << r.out;
  r = RunCli("eval --scores " + scores + " --out " + out + " --on-bad-row skip");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("(1 rows skipped)"), std::string::npos) << r.out;
  const nlohmann::json rep = ReadJson(out + "/report.json");
  ASSERT_EQ(rep["bad_rows"].size(), 1u);
  EXPECT_EQ(rep["bad_rows"][0]["line"], 2);
  EXPECT_EQ(rep["overall"]["metrics"]["raw"]["support"], 2);
}

TEST(EvalCli, FlagErrorsAreExplained) {
  Result r = RunCli("eval");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("expected either --model with --data, or --scores; got neither"),
            std::string::npos)
      << r.out;
  r = RunCli("eval --model m --scores s.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("got both"), std::string::npos) << r.out;
  r = RunCli("eval --scores " + Fixture("oracle_scores.jsonl") + " --on-bad-row maybe");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("expected 'skip' or 'fail', got 'maybe'"), std::string::npos);
  r = RunCli("eval --scores /nonexistent/scores.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("NOT_FOUND"), std::string::npos) << r.out;
  r = RunCli("calibrate --scores " + Fixture("oracle_scores.jsonl"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("expected --out FILE"), std::string::npos);
}

TEST(EvalCli, MissingModelFailsCleanly) {
  const Result r = RunCli("eval --model /nonexistent/model --data " + Fixture("prompts.jsonl") +
                          " --out " + TempDir("cli_nomodel") + " --no-progress");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("haloguard eval: "), std::string::npos) << r.out;
}

// The tiny random checkpoint for end-to-end runs: $HG_TINY_MODEL_DIR, else the repository's
// tests/data/tiny_qwen35 (docs: engineering guide) once it holds a config.json.
std::string TinyModelDir() {
  if (const char* env = std::getenv("HG_TINY_MODEL_DIR")) return env;
  const std::string dir = std::string(HG_SOURCE_DIR) + "/tests/data/tiny_qwen35";
  return std::filesystem::exists(dir + "/config.json") ? dir : "";
}

// The live path end to end (model load, batched classification, resumable scores, report).
TEST(EvalCli, LiveEvalOnTinyCheckpoint) {
  const std::string model = TinyModelDir();
  if (model.empty())
    GTEST_SKIP() << "no tiny checkpoint (HG_TINY_MODEL_DIR, tests/data/tiny_qwen35)";
  const std::string out = TempDir("cli_live");
  Result r = RunCli("eval --model " + model + " --data " + Fixture("prompts.jsonl") + " --out " +
                    out + " --no-progress --batch-size 4");
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json rep = ReadJson(out + "/report.json");
  EXPECT_EQ(rep["overall"]["metrics"]["raw"]["support"], 20);
  // A second run resumes: nothing left to classify.
  r = RunCli("eval --model " + model + " --data " + Fixture("prompts.jsonl") + " --out " + out +
             " --no-progress");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(ReadJson(out + "/report.json")["run"]["classified"], "0");
}

}  // namespace
