// The evaluation report: the card's metrics per dataset and pooled, threshold sweeps, PR curves,
// language-group and per-category breakdowns, calibration (ECE/Brier, reliability table) before
// and after temperature scaling, and raw vs de-noised metrics. Built from score records only, so
// a live run and `--scores FILE` give the same report. Rendered by report_json.cc (report.json),
// report_markdown.cc (report.md) and plots.cc (SVG).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "eval/adjudication.h"
#include "eval/calibration_metrics.h"
#include "eval/jsonl.h"
#include "eval/metrics.h"
#include "eval/scores.h"
#include "guard/calibration.h"

namespace haloguard::eval {

struct ReportOptions {
  double threshold = 0.65;    // unsafe iff p_unsafe >= threshold, in [0, 1]
  int sweep_steps = 100;      // sweep thresholds k / sweep_steps, k = 0..sweep_steps (>= 1)
  int calibration_bins = 10;  // equal-width reliability bins (>= 1)
  // Dataset order for tables and plots; datasets not named follow in order of first appearance.
  std::vector<std::string> dataset_order;
  const Adjudication* adjudication = nullptr;     // de-noised labels (not owned; may be null)
  std::optional<guard::Calibration> calibration;  // "after" probabilities = Apply(logit)
  std::string model_name = "HaloGuard";           // the Markdown table's Model column
  std::string model_size = "0.8B";                // and its Size column
};

// Metrics of one slice of prompts at the threshold, in each available view.
struct SliceMetrics {
  std::string name;
  BinaryMetrics raw;                        // benchmark labels, raw p_unsafe
  std::optional<BinaryMetrics> denoised;    // adjudicated labels, raw p_unsafe
  std::optional<BinaryMetrics> calibrated;  // benchmark labels, calibrated p_unsafe
};

struct CategoryMetrics {
  std::string category;  // the dataset's gold category
  // recall: share of its unsafe prompts flagged; fpr: share of its safe prompts flagged.
  BinaryMetrics raw;
  std::string top_predicted;  // commonest classifier category among its flagged prompts
  int64_t top_predicted_count = 0;
};

// Threshold-free views of one slice (raw labels and probabilities).
struct CurveReport {
  std::optional<double> average_precision, roc_auc;
  std::optional<ThresholdPoint> best_f1;
  std::vector<ThresholdPoint> sweep;
  std::vector<PrPoint> pr_curve;  // thinned to kMaxPrPoints (ThinPrCurve)
};
inline constexpr size_t kMaxPrPoints = 1000;

struct DatasetReport {
  std::string name;          // dataset name, or "overall"
  std::string display_name;  // card column name (DisplayName), or "Overall"
  SliceMetrics metrics;
  int64_t relabelled = 0;  // prompts whose label the adjudication changed
  CurveReport curves;
  CalibrationSummary calibration_raw;
  std::optional<CalibrationSummary> calibration_after;
  std::vector<SliceMetrics> lang_groups;    // groups present, in LangGroup order
  std::vector<CategoryMetrics> categories;  // by name; empty when no prompt has a category
  std::map<std::string, int64_t> lang_group_sources;  // "lang" | "script" | "none" -> prompts
};

// Unweighted mean over slices of each defined rate (a slice without, e.g., negatives adds
// nothing to the FPR mean).
struct MacroAverages {
  int slices = 0;
  std::optional<double> f1, precision, recall, fpr, fnr, accuracy;
};
MacroAverages Macro(std::span<const BinaryMetrics> slices);

struct EvalReport {
  double threshold = 0.65;
  int sweep_steps = 100;
  int calibration_bins = 10;
  std::string model_name, model_size;
  std::optional<double> temperature;    // with a calibration
  std::string adjudication_path;        // "" without one
  int64_t adjudications = 0;            // rows in the adjudication file
  int64_t adjudications_unmatched = 0;  // rows that matched no scored prompt

  std::vector<DatasetReport> datasets;
  DatasetReport overall;  // every prompt pooled (micro)
  MacroAverages macro;    // over datasets, raw view
  std::optional<MacroAverages> macro_denoised, macro_calibrated;
  MacroAverages lang_group_macro;  // over the six card groups present in `overall`

  // Filled by the caller: rows skipped on input or in classification, and the run's identity.
  std::vector<BadRow> bad_rows;
  std::map<std::string, std::string> run_info;
};

// INVALID_ARGUMENT naming the flag for an out-of-range threshold, sweep_steps or bins; callers
// check before a long scoring run.
Status ValidateReportOptions(const ReportOptions& options);

// Errors: INVALID_ARGUMENT for no records or out-of-range options.
StatusOr<EvalReport> BuildReport(std::span<const ScoreRecord> records,
                                 const ReportOptions& options);

// report.json text (schema in report_json.cc), pretty-printed.
std::string ReportToJson(const EvalReport& report);
// report.md text: the card's F1 table (one column per benchmark, Avg.), frontier metrics, raw vs
// de-noised, language groups, calibration, per-benchmark and per-category detail.
std::string ReportToMarkdown(const EvalReport& report);
// The first two sections of report.md (F1 table and frontier metrics), for the terminal.
std::string ReportSummary(const EvalReport& report);

}  // namespace haloguard::eval
