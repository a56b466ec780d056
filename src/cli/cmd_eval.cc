// `haloguard eval`: the card's metrics on labelled prompt sets, either classified live with a
// model (resumable scores in OUT/scores.jsonl) or recomputed from saved scores (--scores).
// Writes OUT/report.json, OUT/report.md and SVG plots; prints the F1 and frontier tables.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/flags.h"
#include "cli/guard_flags.h"
#include "core/status.h"
#include "eval/pipeline.h"
#include "eval/runner.h"
#include "guard/calibration.h"
#include "guard/guard.h"

namespace haloguard::cli {
namespace {

struct EvalFlags {
  std::string model, out = "eval-out", on_bad_row = "skip", adjudication, calibration, guard_prompt;
  std::string adapter, adapter_mode = "auto";
  std::string model_name = "HaloGuard", model_size = "0.8B", weights = "exact";
  std::vector<std::string> data, scores;
  double threshold = 0.65;
  int64_t batch_size = 16, threads = 0, window_length = 1200, window_stride = 256, limit = 0;
  int64_t sweep_steps = 100, bins = 10;
  bool restart = false, save_text = false, no_plots = false, no_progress = false;
};

void DeclareFlags(FlagSet& f, EvalFlags& v) {
  f.String("model", &v.model, "checkpoint directory (or Hub id) to classify with");
  f.List("data", &v.data, "labelled JSONL set, PATH or NAME=PATH (repeatable)");
  f.List("scores", &v.scores, "saved scores JSONL to evaluate instead of a model (repeatable)");
  f.String("out", &v.out, "output directory (scores.jsonl, report.json, report.md, *.svg)");
  f.Double("threshold", &v.threshold, "unsafe iff p_unsafe >= threshold");
  f.String("on-bad-row", &v.on_bad_row, "skip|fail: what to do with unusable rows");
  f.String("adjudication", &v.adjudication, "JSONL of corrected labels: adds de-noised metrics");
  f.String("calibration", &v.calibration, "calibration file: adds calibrated metrics and ECE");
  f.Int("batch-size", &v.batch_size, "prompts per classifier batch");
  f.Int("threads", &v.threads, "compute threads (0 = all cores)");
  f.String("weights", &v.weights, kWeightsHelp);
  f.String("guard-prompt", &v.guard_prompt, "system prompt file with its own category block");
  f.String("adapter", &v.adapter, kAdapterHelp);
  f.String("adapter-mode", &v.adapter_mode, "auto, merged or side-path (docs/LORA.md)");
  f.Int("window-length", &v.window_length, "user-text tokens per window");
  f.Int("window-stride", &v.window_stride, "tokens between window starts");
  f.Int("limit", &v.limit, "score only the first N rows of each dataset (0 = all)");
  f.Bool("restart", &v.restart, "discard scores of an earlier run in --out instead of resuming");
  f.Bool("save-text", &v.save_text, "store prompt texts in scores.jsonl, not only their hashes");
  f.Int("sweep-steps", &v.sweep_steps, "threshold sweep resolution (thresholds k/N)");
  f.Int("bins", &v.bins, "reliability-diagram bins");
  f.String("model-name", &v.model_name, "Model column of the F1 table");
  f.String("model-size", &v.model_size, "Size column of the F1 table");
  f.Bool("no-plots", &v.no_plots, "skip the SVG plots");
  f.Bool("no-progress", &v.no_progress, "no progress bar on stderr");
}

// Live scoring: the one place that builds the model-backed classifier.
StatusOr<std::vector<eval::ScoreRecord>> ScoreWithModel(const EvalFlags& v,
                                                        eval::BadRowPolicy policy,
                                                        eval::EvalReport* info) {
  HG_ASSIGN_OR_RETURN(const model::WeightMode weights, ParseWeightMode(v.weights));
  HG_ASSIGN_OR_RETURN(std::vector<eval::Dataset> datasets,
                      eval::ReadDatasets(v.data, policy, v.limit));
  HG_RETURN_IF_ERROR(eval::EnsureDirectory(v.out));  // fail before the slow model load
  guard::GuardOptions options;
  options.model = v.model;
  options.guard_prompt_file = v.guard_prompt;
  options.adapter = v.adapter;
  HG_ASSIGN_OR_RETURN(options.adapter_mode, ParseAdapterMode(v.adapter_mode));
  options.threshold = v.threshold;
  options.window_length = v.window_length;
  options.window_stride = v.window_stride;
  options.threads = SaturateInt(v.threads);
  options.max_batch = SaturateInt(v.batch_size);
  options.weights = weights;
  // No calibration_file: the scores keep raw logits; --calibration is applied by the report.
  HG_ASSIGN_OR_RETURN(std::unique_ptr<guard::Classifier> classifier,
                      guard::LoadClassifier(options));
  eval::RunOptions run;
  run.scores_path = v.out + "/scores.jsonl";
  run.restart = v.restart;
  run.batch_size = v.batch_size;
  run.on_failure = policy;
  run.save_text = v.save_text;
  run.show_progress = !v.no_progress;
  HG_ASSIGN_OR_RETURN(eval::RunResult result, eval::RunEval(*classifier, datasets, run));
  for (const eval::Dataset& ds : datasets)
    info->bad_rows.insert(info->bad_rows.end(), ds.bad_rows.begin(), ds.bad_rows.end());
  info->bad_rows.insert(info->bad_rows.end(), result.failed.begin(), result.failed.end());
  const guard::ModelInfo& mi = classifier->info();
  info->run_info = {{"model", v.model},
                    {"model_id", mi.model_id},
                    {"model_revision", mi.model_revision},
                    {"adapter", mi.adapter_id.empty() ? "none" : mi.adapter_id + " " + mi.adapter_digest},
                    {"dtype", mi.dtype},
                    {"window_length", std::to_string(mi.window_length)},
                    {"window_stride", std::to_string(mi.window_stride)},
                    {"scores", run.scores_path},
                    {"resumed", std::to_string(result.resumed)},
                    {"classified", std::to_string(result.classified)}};
  return std::move(result.records);
}

Status CheckModeFlags(const EvalFlags& v, const FlagSet& f) {
  if (!f.positional().empty()) {
    return InvalidArgumentError("eval: unexpected argument '" + f.positional()[0] +
                                "'; expected --data FILE or --scores FILE");
  }
  const bool live = !v.model.empty();
  if (live == !v.scores.empty()) {
    return InvalidArgumentError("eval: expected either --model with --data, or --scores; got " +
                                std::string(live ? "both --model and --scores" : "neither"));
  }
  if (live && v.data.empty()) return InvalidArgumentError("eval: --model needs --data FILE");
  if (live && v.batch_size < 1) {
    return InvalidArgumentError("eval: --batch-size; expected >= 1, got " +
                                std::to_string(v.batch_size));
  }
  if (!live && !v.data.empty()) {
    return InvalidArgumentError(
        "eval: --data is for live scoring with --model; with --scores "
        "the datasets are those in the score files");
  }
  return OkStatus();
}

Status Run(const EvalFlags& v, const FlagSet& f) {
  HG_RETURN_IF_ERROR(CheckModeFlags(v, f));
  HG_ASSIGN_OR_RETURN(eval::BadRowPolicy policy, eval::ParseBadRowPolicy(v.on_bad_row));
  eval::ReportOptions ro;
  ro.threshold = v.threshold;
  ro.sweep_steps = static_cast<int>(v.sweep_steps);
  ro.calibration_bins = static_cast<int>(v.bins);
  ro.model_name = v.model_name;
  ro.model_size = v.model_size;
  HG_RETURN_IF_ERROR(eval::ValidateReportOptions(ro));
  std::optional<eval::Adjudication> adjudication;
  if (!v.adjudication.empty()) {
    HG_ASSIGN_OR_RETURN(adjudication, eval::Adjudication::Read(v.adjudication));
    ro.adjudication = &*adjudication;
  }
  if (!v.calibration.empty()) {
    HG_ASSIGN_OR_RETURN(ro.calibration, guard::LoadCalibration(v.calibration));
  }
  eval::EvalReport info;
  std::vector<eval::ScoreRecord> records;
  if (!v.model.empty()) {
    HG_ASSIGN_OR_RETURN(records, ScoreWithModel(v, policy, &info));
    for (const std::string& arg : v.data) {
      HG_ASSIGN_OR_RETURN(eval::DatasetSpec spec, eval::ParseDatasetSpec(arg));
      ro.dataset_order.push_back(spec.name);
    }
  } else {
    HG_ASSIGN_OR_RETURN(eval::ScoresFile scores, eval::ReadScoreFiles(v.scores, policy));
    records = std::move(scores.records);
    info.bad_rows = std::move(scores.bad_rows);
    for (size_t i = 0; i < v.scores.size(); ++i)
      info.run_info["scores_" + std::to_string(i)] = v.scores[i];
  }
  HG_ASSIGN_OR_RETURN(eval::EvalReport report, eval::BuildReport(records, ro));
  report.bad_rows = std::move(info.bad_rows);
  report.run_info = std::move(info.run_info);
  HG_RETURN_IF_ERROR(eval::WriteReportFiles(report, v.out, !v.no_plots));
  std::fputs(eval::ReportSummary(report).c_str(), stdout);
  std::fprintf(stderr, "haloguard eval: wrote %s/report.md, %s/report.json%s (%zu rows skipped)\n",
               v.out.c_str(), v.out.c_str(), v.no_plots ? "" : " and plots",
               report.bad_rows.size());
  return OkStatus();
}

int EvalMain(int argc, char** argv) {
  EvalFlags v;
  // No HALOGUARD_* variables: a HALOGUARD_MODEL set for serve would turn --scores runs live.
  FlagSet f("eval",
            "(--model DIR --data [NAME=]FILE.jsonl ... | --scores FILE ...) [--out DIR] [flags]",
            /*use_env=*/false);
  DeclareFlags(f, v);
  int code = 0;
  if (!ParseOrExit(f, argc, argv, &code)) return code;
  const Status s = Run(v, f);
  if (!s.ok()) return ReportError("eval", s, 1);
  return 0;
}

}  // namespace

HG_REGISTER_COMMAND("eval", "F1/FPR/FNR, sweeps, calibration and plots on labelled prompt sets",
                    EvalMain);

}  // namespace haloguard::cli
