// The whole report against the independent Python oracle (tools/eval/metrics_oracle.py, run on
// the synthetic fixture by tools/eval/make_eval_fixtures.py), then the JSON and Markdown forms.
//
// Tolerances: rates are ratios of equal integer counts in both implementations (same IEEE
// division), so they match to the last bit; sums over <= 310 terms of magnitude <= 1 (AP, ECE,
// Brier, NLL, macro means) differ only by summation order: <= 310 * 2^-53 * 1 < 4e-14, so 1e-13.
// The fitted temperature: both stop within 1e-12 relative of the root of the same derivative.
#include "eval/report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "core/mapped_file.h"
#include "eval/pipeline.h"

namespace haloguard::eval {
namespace {

constexpr double kSumTol = 1e-13;

std::string Fixture(const std::string& name) {
  return std::string(HG_SOURCE_DIR) + "/tests/data/eval/" + name;
}

void ExpectRate(const std::optional<double>& got, const nlohmann::json& want,
                const std::string& what) {
  if (want.is_null()) {
    EXPECT_FALSE(got.has_value()) << what;
  } else {
    ASSERT_TRUE(got.has_value()) << what;
    EXPECT_NEAR(*got, want.get<double>(), kSumTol) << what;
  }
}

void ExpectMetrics(const BinaryMetrics& m, const nlohmann::json& w, const std::string& what) {
  EXPECT_EQ(m.counts.tp, w["tp"].get<int64_t>()) << what;
  EXPECT_EQ(m.counts.fp, w["fp"].get<int64_t>()) << what;
  EXPECT_EQ(m.counts.tn, w["tn"].get<int64_t>()) << what;
  EXPECT_EQ(m.counts.fn, w["fn"].get<int64_t>()) << what;
  for (const char* k : {"precision", "recall", "f1", "fpr", "fnr", "accuracy"}) {
    const std::optional<double> BinaryMetrics::*field =
        std::string(k) == "precision" ? &BinaryMetrics::precision
        : std::string(k) == "recall"  ? &BinaryMetrics::recall
        : std::string(k) == "f1"      ? &BinaryMetrics::f1
        : std::string(k) == "fpr"     ? &BinaryMetrics::fpr
        : std::string(k) == "fnr"     ? &BinaryMetrics::fnr
                                      : &BinaryMetrics::accuracy;
    ExpectRate(m.*field, w[k], what + "." + k);
  }
}

void ExpectCalibration(const CalibrationSummary& s, const nlohmann::json& w,
                       const std::string& what) {
  for (const char* k : {"ece", "mce", "brier", "nll"}) {
    const auto field = std::string(k) == "ece"     ? &CalibrationSummary::ece
                       : std::string(k) == "mce"   ? &CalibrationSummary::mce
                       : std::string(k) == "brier" ? &CalibrationSummary::brier
                                                   : &CalibrationSummary::nll;
    ExpectRate(s.*field, w[k], what + "." + k);
  }
  ASSERT_EQ(s.bins.size(), w["bin_counts"].size()) << what;
  for (size_t b = 0; b < s.bins.size(); ++b)
    EXPECT_EQ(s.bins[b].count, w["bin_counts"][b].get<int64_t>()) << what;
}

void ExpectMacro(const MacroAverages& m, const nlohmann::json& w, const std::string& what) {
  ExpectRate(m.f1, w["f1"], what + ".f1");
  ExpectRate(m.precision, w["precision"], what + ".precision");
  ExpectRate(m.recall, w["recall"], what + ".recall");
  ExpectRate(m.fpr, w["fpr"], what + ".fpr");
  ExpectRate(m.fnr, w["fnr"], what + ".fnr");
  ExpectRate(m.accuracy, w["accuracy"], what + ".accuracy");
}

void ExpectDataset(const DatasetReport& d, const nlohmann::json& w) {
  const std::string n = d.name;
  ExpectMetrics(d.metrics.raw, w["raw"], n + ".raw");
  ExpectMetrics(*d.metrics.denoised, w["denoised"], n + ".denoised");
  ExpectMetrics(*d.metrics.calibrated, w["calibrated"], n + ".calibrated");
  EXPECT_EQ(d.relabelled, w["relabelled"].get<int64_t>()) << n;
  ExpectRate(d.curves.average_precision, w["ranking"]["ap"], n + ".ap");
  ExpectRate(d.curves.roc_auc, w["ranking"]["auc"], n + ".auc");
  if (w["ranking"]["best_f1"].is_null()) {
    EXPECT_FALSE(d.curves.best_f1.has_value()) << n;
  } else {
    ASSERT_TRUE(d.curves.best_f1.has_value()) << n;
    EXPECT_EQ(d.curves.best_f1->threshold, w["ranking"]["best_f1"]["threshold"].get<double>()) << n;
    ExpectRate(d.curves.best_f1->metrics.f1, w["ranking"]["best_f1"]["f1"], n + ".best_f1");
  }
  ASSERT_EQ(d.curves.sweep.size(), w["sweep"].size()) << n;
  for (size_t k = 0; k < d.curves.sweep.size(); ++k) {
    ExpectMetrics(d.curves.sweep[k].metrics, w["sweep"][k],
                  n + ".sweep[" + std::to_string(k) + "]");
  }
  ExpectCalibration(d.calibration_raw, w["calibration_raw"], n + ".calibration_raw");
  ExpectCalibration(*d.calibration_after, w["calibration_after"], n + ".calibration_after");
  ASSERT_EQ(d.lang_groups.size(), w["lang_groups"].size()) << n;
  for (const SliceMetrics& g : d.lang_groups)
    ExpectMetrics(g.raw, w["lang_groups"][g.name], n + "." + g.name);
  ASSERT_EQ(d.categories.size(), w["categories"].size()) << n;
  for (const CategoryMetrics& c : d.categories) {
    const auto& wc = w["categories"][c.category];
    ExpectMetrics(c.raw, wc, n + "." + c.category);
    EXPECT_EQ(c.top_predicted,
              wc["top_predicted"].is_null() ? "" : wc["top_predicted"].get<std::string>());
    EXPECT_EQ(c.top_predicted_count, wc["top_predicted_count"].get<int64_t>());
  }
}

class ReportOracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<ScoresFile> scores = ReadScores(Fixture("oracle_scores.jsonl"), BadRowPolicy::kFail);
    ASSERT_TRUE(scores.ok()) << scores.status().ToString();
    records_ = std::move(scores->records);
    StatusOr<Adjudication> adj = Adjudication::Read(Fixture("oracle_adjudication.jsonl"));
    ASSERT_TRUE(adj.ok()) << adj.status().ToString();
    adjudication_ = std::move(*adj);
    StatusOr<guard::Calibration> cal = guard::LoadCalibration(Fixture("oracle_calibration.json"));
    ASSERT_TRUE(cal.ok()) << cal.status().ToString();
    options_.adjudication = &adjudication_;
    options_.calibration = *cal;
    StatusOr<std::string> text = ReadFileToString(Fixture("oracle_expected.json"));
    ASSERT_TRUE(text.ok());
    expected_ = nlohmann::json::parse(*text);
  }

  std::vector<ScoreRecord> records_;
  Adjudication adjudication_;
  ReportOptions options_;
  nlohmann::json expected_;
};

TEST_F(ReportOracleTest, EveryNumberMatchesTheOracle) {
  StatusOr<EvalReport> rep = BuildReport(records_, options_);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->datasets.size(), expected_["order"].size());
  for (size_t i = 0; i < rep->datasets.size(); ++i) {
    EXPECT_EQ(rep->datasets[i].name, expected_["order"][i].get<std::string>());
    ExpectDataset(rep->datasets[i], expected_["datasets"][rep->datasets[i].name]);
  }
  ExpectDataset(rep->overall, expected_["overall"]);
  ExpectMacro(rep->macro, expected_["macro"], "macro");
  ExpectMacro(*rep->macro_denoised, expected_["macro_denoised"], "macro_denoised");
  ExpectMacro(rep->lang_group_macro, expected_["lang_group_macro"], "lang_group_macro");
  EXPECT_EQ(rep->adjudications, 14);
  EXPECT_EQ(rep->adjudications_unmatched, 1);
}

TEST_F(ReportOracleTest, FittedTemperatureMatchesTheOracle) {
  StatusOr<guard::Calibration> cal = FitCalibration(records_, nullptr);
  ASSERT_TRUE(cal.ok()) << cal.status().ToString();
  const double want = expected_["fitted_temperature"].get<double>();
  EXPECT_NEAR(cal->temperature, want, 1e-11 * want);
  EXPECT_EQ(cal->fit.examples, 310);
  EXPECT_EQ(cal->fit.datasets, (std::vector<std::string>{"alpha", "beta", "delta", "gamma"}));
  EXPECT_LT(cal->fit.nll_after, cal->fit.nll_before);
}

TEST_F(ReportOracleTest, JsonHasTheSchemaAndNullsForUndefinedRates) {
  StatusOr<EvalReport> rep = BuildReport(records_, options_);
  ASSERT_TRUE(rep.ok());
  rep->bad_rows.push_back({"x.jsonl", 3, "missing label"});
  const nlohmann::json j = nlohmann::json::parse(ReportToJson(*rep));
  EXPECT_EQ(j["schema"], "haloguard-eval-report");
  EXPECT_EQ(j["config"]["threshold"], 0.65);
  EXPECT_EQ(j["config"]["temperature"], 1.8);
  EXPECT_EQ(j["config"]["adjudication"]["unmatched"], 1);
  ASSERT_EQ(j["datasets"].size(), 4u);
  const auto& beta = j["datasets"][1];
  EXPECT_EQ(beta["name"], "beta");
  EXPECT_TRUE(beta["metrics"]["raw"]["fpr"].is_null());  // no safe prompts
  EXPECT_EQ(beta["metrics"]["raw"]["tp"], expected_["datasets"]["beta"]["raw"]["tp"]);
  EXPECT_TRUE(j["datasets"][3]["ranking"]["best_f1"].is_null());  // delta: no unsafe prompts
  EXPECT_EQ(j["overall"]["sweep"].size(), 101u);
  EXPECT_EQ(j["overall"]["calibration"]["raw"]["bins"].size(), 10u);
  EXPECT_EQ(j["bad_rows"][0]["line"], 3);
  EXPECT_EQ(j["overall"]["lang_group_sources"]["none"], 31);
}

TEST_F(ReportOracleTest, MarkdownUsesTheCardLayout) {
  StatusOr<EvalReport> rep = BuildReport(records_, options_);
  ASSERT_TRUE(rep.ok());
  const std::string md = ReportToMarkdown(*rep);
  EXPECT_NE(md.find("| Model | Size | alpha | beta | gamma | delta | Avg. |"), std::string::npos);
  // F1 in % with one decimal: the oracle's beta F1 and macro F1.
  char row[128];
  std::snprintf(row, sizeof row, "| HaloGuard | 0.8B | %.1f | %.1f |",
                100 * expected_["datasets"]["alpha"]["raw"]["f1"].get<double>(),
                100 * expected_["datasets"]["beta"]["raw"]["f1"].get<double>());
  EXPECT_NE(md.find(row), std::string::npos) << row;
  std::snprintf(row, sizeof row, "| Macro-F1 | %.1f |",
                100 * expected_["macro"]["f1"].get<double>());
  EXPECT_NE(md.find(row), std::string::npos) << row;
  for (const char* section :
       {"## Frontier metrics", "## De-noised evaluation",
        "## Multilingual generalization (by language group)", "| English (reference) |",
        "| Multilingual (macro avg.) |", "## Calibration", "Calibrated (T=1.800)",
        "## Per-category recall", "| HaloGuard (de-noised) |"}) {
    EXPECT_NE(md.find(section), std::string::npos) << section;
  }
  EXPECT_NE(md.find("| delta | 20 | 0 |"), std::string::npos);  // counts of a no-positive set
}

TEST(Report, RejectsEmptyInputAndBadOptions) {
  ReportOptions o;
  EXPECT_EQ(BuildReport({}, o).status().code(), StatusCode::kInvalidArgument);
  std::vector<ScoreRecord> one(1);
  o.threshold = 1.5;
  EXPECT_FALSE(BuildReport(one, o).ok());
  o.threshold = 0.5;
  o.sweep_steps = 0;
  EXPECT_FALSE(BuildReport(one, o).ok());
  o.sweep_steps = 10;
  o.calibration_bins = 0;
  EXPECT_FALSE(BuildReport(one, o).ok());
}

TEST(Report, DatasetOrderIsRespected) {
  std::vector<ScoreRecord> rs(3);
  rs[0].dataset = "b";
  rs[1].dataset = "a";
  rs[2].dataset = "c";
  ReportOptions o;
  o.dataset_order = {"c", "a"};
  StatusOr<EvalReport> rep = BuildReport(rs, o);
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(rep->datasets.size(), 3u);
  EXPECT_EQ(rep->datasets[0].name, "c");
  EXPECT_EQ(rep->datasets[1].name, "a");
  EXPECT_EQ(rep->datasets[2].name, "b");
}

}  // namespace
}  // namespace haloguard::eval
