// Scores JSONL: exact round trip, validation of each field, torn-tail recovery with the
// append-only writer, the logit helper and SHA-256 against the FIPS 180-2 vector.
#include "eval/scores.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/mapped_file.h"

namespace haloguard::eval {
namespace {

std::string TempFile(const std::string& name) {
  const auto p = std::filesystem::path(::testing::TempDir()) / name;
  std::filesystem::remove(p);
  return p.string();
}

ScoreRecord Sample(const std::string& id) {
  ScoreRecord r;
  r.id = id;
  r.dataset = "mine";
  r.text_sha256 = Sha256Hex("text " + id);
  r.label = Label::kUnsafe;
  r.lang = "zh";
  r.lang_group = LangGroup::kCjk;
  r.lang_group_source = LangGroupSource::kLang;
  r.category = "fraud";
  r.p_unsafe = 0.8175744761936437;  // sigmoid(1.5)
  r.logit = 1.5;
  r.pred_category = "fraud_and_social_engineering";
  r.window_count = 3;
  return r;
}

TEST(Scores, Sha256KnownVector) {
  // FIPS 180-2 appendix B.1.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Scores, LogitFromProbs) {
  EXPECT_EQ(*LogitFromProbs(0.5, 0.5), 0.0);
  EXPECT_NEAR(*LogitFromProbs(0.9, 0.1), std::log(9.0), 1e-15);
  EXPECT_EQ(*LogitFromProbs(1.0, 0.0), kMaxAbsLogit);
  EXPECT_EQ(*LogitFromProbs(0.0, 1.0), -kMaxAbsLogit);
  EXPECT_FALSE(LogitFromProbs(0.0, 0.0).ok());
  EXPECT_FALSE(LogitFromProbs(NAN, 0.5).ok());
  EXPECT_FALSE(LogitFromProbs(1.5, 0.5).ok());
}

TEST(Scores, RoundTripIsExact) {
  const std::string path = TempFile("roundtrip.jsonl");
  {
    StatusOr<ScoresWriter> w = ScoresWriter::Open(path, 0);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    std::vector<ScoreRecord> rs = {Sample("a"), Sample("b")};
    rs[1].text = "saved text ✓";
    rs[1].lang.clear();
    rs[1].category.clear();
    ASSERT_TRUE(w->Append(rs).ok());
    ASSERT_TRUE(w->Close().ok());
  }
  StatusOr<ScoresFile> f = ReadScores(path, BadRowPolicy::kFail);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->records.size(), 2u);
  const ScoreRecord& a = f->records[0];
  const ScoreRecord want = Sample("a");
  EXPECT_EQ(a.id, want.id);
  EXPECT_EQ(a.text_sha256, want.text_sha256);
  EXPECT_EQ(a.p_unsafe, want.p_unsafe);  // 17 significant digits: bit-exact
  EXPECT_EQ(a.logit, want.logit);
  EXPECT_EQ(a.lang_group, LangGroup::kCjk);
  EXPECT_EQ(a.lang_group_source, LangGroupSource::kLang);
  EXPECT_EQ(a.pred_category, want.pred_category);
  EXPECT_EQ(a.window_count, 3);
  EXPECT_EQ(f->records[1].text, "saved text ✓");
  EXPECT_EQ(f->records[1].lang, "");
  EXPECT_FALSE(f->truncated_tail);
}

TEST(Scores, ValidatesRows) {
  const std::string path = TempFile("bad_scores.jsonl");
  std::ofstream(path)
      << R"({"id": "1", "dataset": "d", "label": "safe", "p_unsafe": 0.25})"
         "\n"
      << R"({"id": "2", "dataset": "d", "label": "safe", "p_unsafe": 1.5})"
         "\n"
      << R"({"id": "3", "dataset": "d", "label": "safe", "p_unsafe": 0.25, "logit": 2.0})"
         "\n"
      << R"({"id": "4", "dataset": "d", "label": "meh", "p_unsafe": 0.25})"
         "\n"
      << R"({"dataset": "d", "label": "safe", "p_unsafe": 0.25})"
         "\n"
      << R"({"id": "1", "dataset": "d", "label": "safe", "p_unsafe": 0.25})"
         "\n"
      << R"({"id": "7", "dataset": "d", "label": "safe", "p_unsafe": 0.25, "lang_group": "Mars"})"
         "\n"
      << R"({"id": "8", "dataset": "d", "label": "safe", "p_unsafe": "high"})"
         "\n"
      << R"({"id": "9", "dataset": "d", "label": "safe", "p_unsafe": 0.5, "window_count": 0})"
         "\n"
      << R"({"id": "10", "dataset": "d", "label": "unsafe", "p_unsafe": 0.5, "lang": "hi"})"
         "\n";
  StatusOr<ScoresFile> f = ReadScores(path, BadRowPolicy::kSkip);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->records.size(), 2u);
  EXPECT_NEAR(f->records[0].logit, std::log(0.25 / 0.75), 1e-15);  // derived from p_unsafe
  EXPECT_EQ(f->records[1].lang_group, LangGroup::kIndic);          // derived from lang
  const std::pair<int64_t, const char*> want[] = {
      {2, "expected a probability in [0, 1]"},
      {3, "disagrees with p_unsafe"},
      {4, "unknown label"},
      {5, "missing id"},
      {6, "duplicate score for dataset 'd' id '1'"},
      {7, "unknown group"},
      {8, "expected a number, got string"},
      {9, "window_count; expected an integer >= 1"},
  };
  ASSERT_EQ(f->bad_rows.size(), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) {
    EXPECT_EQ(f->bad_rows[i].line, want[i].first);
    EXPECT_NE(f->bad_rows[i].reason.find(want[i].second), std::string::npos)
        << f->bad_rows[i].reason;
  }
  EXPECT_FALSE(ReadScores(path, BadRowPolicy::kFail).ok());
}

TEST(Scores, RowsWithoutDatasetBelongToTheDefault) {
  const std::string path = TempFile("other-tool.scores.jsonl");
  std::ofstream(path) << R"({"id": "a", "label": "safe", "p_unsafe": 0.1})" "\n"
                      << R"({"id": "b", "dataset": null, "label": "unsafe", "p_unsafe": 0.9})" "\n"
                      << R"({"id": "a", "dataset": "named", "label": "safe", "p_unsafe": 0.2})" "\n";
  EXPECT_EQ(DatasetNameForScoresFile(path), "other-tool");
  EXPECT_EQ(DatasetNameForScoresFile("x/.hidden"), ".hidden");
  StatusOr<ScoresFile> f = ReadScores(path, BadRowPolicy::kFail, "other-tool");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->records.size(), 3u);
  EXPECT_EQ(f->records[0].dataset, "other-tool");
  EXPECT_EQ(f->records[1].dataset, "other-tool");
  EXPECT_EQ(f->records[2].dataset, "named");
  // Without a default (an eval run resuming its own file) a row must name its dataset.
  StatusOr<ScoresFile> strict = ReadScores(path, BadRowPolicy::kFail);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("missing dataset"), std::string::npos)
      << strict.status().ToString();
}

TEST(Scores, TornTailIsDroppedAndOverwritten) {
  const std::string path = TempFile("torn.jsonl");
  const std::string good = ScoreRecordToJson(Sample("a")) + "\n";
  std::ofstream(path) << good << ScoreRecordToJson(Sample("b")).substr(0, 40);
  StatusOr<ScoresFile> f = ReadScores(path, BadRowPolicy::kFail);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->truncated_tail);
  EXPECT_EQ(f->records.size(), 1u);
  EXPECT_EQ(f->valid_bytes, static_cast<int64_t>(good.size()));
  {
    StatusOr<ScoresWriter> w = ScoresWriter::Open(path, f->valid_bytes);
    ASSERT_TRUE(w.ok());
    const std::vector<ScoreRecord> more = {Sample("b")};
    ASSERT_TRUE(w->Append(more).ok());
    ASSERT_TRUE(w->Close().ok());
  }
  f = ReadScores(path, BadRowPolicy::kFail);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->truncated_tail);
  ASSERT_EQ(f->records.size(), 2u);
  EXPECT_EQ(f->records[1].id, "b");
}

TEST(Scores, AdjudicatedAndCalibratedViews) {
  const ScoreRecord r = Sample("a");
  Adjudication adj;
  ASSERT_TRUE(adj.Add("mine", "a", Label::kSafe));
  EXPECT_TRUE(ToScored(r, nullptr).unsafe);
  EXPECT_FALSE(ToScored(r, &adj).unsafe);
  guard::Calibration cal;
  cal.temperature = 3;
  const Scored s = Calibrate(ToScored(r), cal);
  EXPECT_EQ(s.logit, 0.5);
  EXPECT_EQ(s.p_unsafe, cal.Apply(1.5));
}

}  // namespace
}  // namespace haloguard::eval
