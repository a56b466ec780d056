// Dataset and adjudication reading: the handwritten fixtures, every bad-row kind with its line
// number under skip and fail, --data parsing and the card's column names.
#include "eval/dataset.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "eval/adjudication.h"

namespace haloguard::eval {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(HG_SOURCE_DIR) + "/tests/data/eval/" + name;
}

TEST(Dataset, ReadsHandwrittenPrompts) {
  StatusOr<Dataset> ds = ReadDataset({"mine", Fixture("prompts.jsonl")}, BadRowPolicy::kFail);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->name, "mine");
  ASSERT_EQ(ds->examples.size(), 20u);
  EXPECT_EQ(ds->rows_read, 20);
  EXPECT_TRUE(ds->bad_rows.empty());
  const LabelledExample& p02 = ds->examples[1];
  EXPECT_EQ(p02.id, "p02");
  EXPECT_EQ(p02.label, Label::kUnsafe);
  EXPECT_EQ(p02.category, "property_crime");
  EXPECT_EQ(p02.lang, "en");
  EXPECT_EQ(p02.line, 2);
  EXPECT_EQ(ds->examples[4].text, "今天北京的天气怎么样？");
  EXPECT_EQ(ds->examples[15].lang, "");             // p16 has no lang
  EXPECT_EQ(ds->examples[19].label, Label::kSafe);  // "Safe"
  EXPECT_EQ(ds->examples[19].category, "");         // no category key
}

TEST(Dataset, SkipsAndReportsEveryBadRowWithItsLine) {
  StatusOr<Dataset> ds = ReadDataset({"bad", Fixture("bad_rows.jsonl")}, BadRowPolicy::kSkip);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->examples.size(), 3u);
  EXPECT_EQ(ds->examples[0].id, "b01");
  EXPECT_EQ(ds->examples[1].id, "b12");
  EXPECT_EQ(ds->examples[1].category, "a,b");  // list joined; CRLF tolerated
  EXPECT_EQ(ds->examples[1].line, 12);
  EXPECT_EQ(ds->examples[2].id, "b13");  // no final newline
  const std::pair<int64_t, const char*> want[] = {
      {2, "bad JSON"},
      {3, "expected a JSON object, got array"},
      {4, "missing text"},
      {5, "field 'text': expected a string, got number"},
      {6, "missing label"},
      {7, "unknown label; expected 'safe' or 'unsafe', got 'harmful'"},
      {9, "missing label"},
      {10, "field 'category': expected a string, got object"},
      {11, "duplicate id 'b01' (first on line 1)"},
  };
  ASSERT_EQ(ds->bad_rows.size(), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) {
    EXPECT_EQ(ds->bad_rows[i].line, want[i].first);
    EXPECT_NE(ds->bad_rows[i].reason.find(want[i].second), std::string::npos)
        << ds->bad_rows[i].reason;
    EXPECT_EQ(ds->bad_rows[i].file, Fixture("bad_rows.jsonl"));
  }
  EXPECT_EQ(ds->rows_read, 12);  // 13 lines, one blank
}

TEST(Dataset, FailPolicyStopsAtFirstBadRow) {
  StatusOr<Dataset> ds = ReadDataset({"bad", Fixture("bad_rows.jsonl")}, BadRowPolicy::kFail);
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ds.status().message().find("bad_rows.jsonl:2: bad JSON"), std::string::npos)
      << ds.status().message();
  EXPECT_NE(ds.status().message().find("--on-bad-row skip"), std::string::npos);
}

TEST(Dataset, LimitKeepsFirstGoodRows) {
  StatusOr<Dataset> ds = ReadDataset({"mine", Fixture("prompts.jsonl")}, BadRowPolicy::kFail, 3);
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->examples.size(), 3u);
  EXPECT_EQ(ds->examples[2].id, "p03");
}

TEST(Dataset, MissingAndEmptyFilesAreErrors) {
  EXPECT_EQ(ReadDataset({"x", Fixture("no_such.jsonl")}, BadRowPolicy::kSkip).status().code(),
            StatusCode::kNotFound);
  const std::string path = ::testing::TempDir() + "/empty.jsonl";
  std::ofstream(path) << "\n\n";
  StatusOr<Dataset> empty = ReadDataset({"x", path}, BadRowPolicy::kSkip);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no usable rows"), std::string::npos);
}

TEST(Dataset, ParsesDataSpecs) {
  auto s = ParseDatasetSpec("/data/bench/oai.jsonl");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->name, "oai");
  EXPECT_EQ(s->path, "/data/bench/oai.jsonl");
  s = ParseDatasetSpec("my-set=/data/x.jsonl");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->name, "my-set");
  EXPECT_EQ(s->path, "/data/x.jsonl");
  s = ParseDatasetSpec("/odd/dir=name/file.jsonl");  // '/' before '=': a plain path
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->name, "file");
  EXPECT_FALSE(ParseDatasetSpec("name=").ok());
  EXPECT_FALSE(ParseDatasetSpec("").ok());
}

TEST(Dataset, LabelsAndDisplayNames) {
  EXPECT_EQ(*ParseLabel("UNSAFE"), Label::kUnsafe);
  EXPECT_EQ(*ParseLabel("safe"), Label::kSafe);
  EXPECT_FALSE(ParseLabel("1").ok());
  EXPECT_EQ(DisplayName("oai"), "OAI");
  EXPECT_EQ(DisplayName("toxicchat"), "ToxiC");
  EXPECT_EQ(DisplayName("simplesafetytests"), "SimpST");
  EXPECT_EQ(DisplayName("harmbench"), "HarmB");
  EXPECT_EQ(DisplayName("wildguardtest"), "WildG");
  EXPECT_EQ(DisplayName("custom"), "custom");
}

TEST(Adjudication, ReadsAndLooksUp) {
  StatusOr<Adjudication> adj = Adjudication::Read(Fixture("oracle_adjudication.jsonl"));
  ASSERT_TRUE(adj.ok()) << adj.status().ToString();
  EXPECT_EQ(adj->size(), 14);
  Adjudication a;
  ASSERT_TRUE(a.Add("", "x", Label::kSafe));
  ASSERT_TRUE(a.Add("d", "x", Label::kUnsafe));
  EXPECT_FALSE(a.Add("d", "x", Label::kSafe));
  EXPECT_EQ(*a.Lookup("d", "x"), Label::kUnsafe);  // qualified row wins
  EXPECT_EQ(*a.Lookup("other", "x"), Label::kSafe);
  EXPECT_FALSE(a.Lookup("d", "y").has_value());
}

TEST(Adjudication, AnyBadRowIsFatalWithItsLine) {
  StatusOr<Adjudication> adj = Adjudication::Read(Fixture("adjudication_bad.jsonl"));
  ASSERT_FALSE(adj.ok());
  EXPECT_NE(adj.status().message().find("adjudication_bad.jsonl:2: unknown label"),
            std::string::npos)
      << adj.status().message();
  EXPECT_EQ(adj.status().message().find("--on-bad-row"), std::string::npos);
}

}  // namespace
}  // namespace haloguard::eval
