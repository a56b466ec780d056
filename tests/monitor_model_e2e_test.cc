// The monitor lane with the real guard on the tiny random checkpoint: a long document through
// RunJob (background, preemptible window scoring) and through `haloguard monitor` must give the
// same windows, the same riskiest window and the same scores as /v1/classify's path
// (GuardClassifier::ClassifyBatch) with the same window settings, and spans that point at the
// window's text.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/testing/shell.h"
#include "guard/guard.h"
#include "monitor/job_json.h"
#include "monitor/runner.h"

namespace haloguard {
namespace {

const std::string kModel = std::string(HG_SOURCE_DIR) + "/tests/data/tiny_qwen35";

std::string Document() {
  std::string s = "  Notes from the harbour office.\n";
  for (int i = 0; i < 12; ++i) {
    s += "Day " + std::to_string(i) + ": the ferry left on time, the gulls followed it out, and "
         "the harbour master logged the tide at the usual hour. Über-calm seas; café closed. ";
  }
  return s + "\n";
}

std::unique_ptr<guard::Classifier> Load() {
  guard::GuardOptions o;
  o.model = kModel;
  o.offline = true;
  o.window_length = 96;
  o.window_stride = 40;
  o.threads = 2;
  auto c = guard::LoadClassifier(o);
  HG_CHECK(c.ok()) << c.status().ToString();
  return std::move(*c);
}

// Both sides run the same fp32 code on the same windows; background pieces re-associate the
// prefill (chunked vs one pass), bounded like prefix-vs-whole (docs/TOLERANCES.md), far below
// the gaps between windows' risks that the comparison relies on.
constexpr double kRiskTol = 1e-4;

TEST(MonitorWithModel, RunJobMatchesClassifyWindowByWindow) {
  auto c = Load();
  const std::string text = Document();
  auto sync = c->ClassifyBatch(std::vector<guard::ClassifyRequest>{{text, false}});
  ASSERT_TRUE(sync[0].ok()) << sync[0].status().ToString();
  monitor::JobSpec spec;
  spec.document = text;
  auto job = monitor::RunJob(*c, monitor::BuildMonitoredText(std::move(spec)), false, monitor::RunOptions{});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_GT(job->window_count, 3);
  ASSERT_EQ(job->window_count, sync[0]->window_count);
  for (int64_t w = 0; w < job->window_count; ++w) {
    EXPECT_NEAR(job->windows[w].p_unsafe, sync[0]->window_risk_scores[w], kRiskTol) << w;
    // The span covers text the window's tokens came from.
    const auto& span = job->windows[w].span;
    EXPECT_LT(span.byte_begin, span.byte_end);
    EXPECT_LE(span.byte_end, text.size());
  }
  EXPECT_EQ(job->selected_window, sync[0]->selected_window_index);
  EXPECT_NEAR(job->p_unsafe, sync[0]->p_unsafe, kRiskTol);
}

TEST(MonitorWithModel, CommandLineMonitorGivesTheSameVerdict) {
  const std::string path = ::testing::TempDir() + "/monitor_doc.txt";
  std::ofstream(path) << Document();
  const std::string cmd = std::string(HG_BINARY) + " monitor --model " + kModel +
                          " --offline --threads 2 --window-length 96 --window-stride 40 " + path +
                          " 2>/dev/null";
  const auto [code, out] = test_util::RunShell(cmd);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out.substr(0, out.find('\n')));
  auto c = Load();
  auto sync = c->ClassifyBatch(std::vector<guard::ClassifyRequest>{{Document(), false}});
  ASSERT_TRUE(sync[0].ok());
  const nlohmann::json& r = j["result"];
  EXPECT_EQ(j["status"], "done");
  EXPECT_EQ(r["window_count"].get<int>(), sync[0]->window_count);
  EXPECT_EQ(r["selected_window_index"].get<int>(), sync[0]->selected_window_index);
  const auto risks = r["window_risk_scores"].get<std::vector<double>>();
  ASSERT_EQ(risks.size(), sync[0]->window_risk_scores.size());
  for (size_t w = 0; w < risks.size(); ++w) {  // printed with 4 decimals
    EXPECT_NEAR(risks[w], sync[0]->window_risk_scores[w], kRiskTol + 5e-5) << w;
  }
}

}  // namespace
}  // namespace haloguard
