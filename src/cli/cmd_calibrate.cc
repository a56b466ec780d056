// `haloguard calibrate`: fits temperature scaling of the unsafe-vs-safe logit on saved scores
// (from `haloguard eval`) and writes the calibration file that classify/serve load.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/flags.h"
#include "core/status.h"
#include "eval/calibration_metrics.h"
#include "eval/pipeline.h"
#include "guard/calibration.h"

namespace haloguard::cli {
namespace {

struct CalibrateFlags {
  std::vector<std::string> scores, datasets;
  std::string out, on_bad_row = "skip", adjudication;
  int64_t bins = 10;
};

void PrintFit(const guard::Calibration& c, const eval::CalibrationSummary& before,
              const eval::CalibrationSummary& after, const std::string& out) {
  std::printf("temperature   %.6f  (p_unsafe = sigmoid(logit / T), %lld examples)\n", c.temperature,
              static_cast<long long>(c.fit.examples));
  std::printf("              before     after\n");
  std::printf("NLL         %8.4f  %8.4f\n", c.fit.nll_before, c.fit.nll_after);
  std::printf("ECE         %8.4f  %8.4f\n", before.ece.value_or(0), after.ece.value_or(0));
  std::printf("Brier       %8.4f  %8.4f\n", before.brier.value_or(0), after.brier.value_or(0));
  std::printf("wrote %s\n", out.c_str());
}

Status Run(const CalibrateFlags& v, const FlagSet& f) {
  if (!f.positional().empty()) {
    return InvalidArgumentError("calibrate: unexpected argument '" + f.positional()[0] +
                                "'; expected --scores FILE");
  }
  if (v.scores.empty()) return InvalidArgumentError("calibrate: expected --scores FILE");
  if (v.out.empty()) return InvalidArgumentError("calibrate: expected --out FILE");
  if (v.bins < 1 || v.bins > 1000) {
    return InvalidArgumentError("calibrate: --bins; expected 1..1000, got " +
                                std::to_string(v.bins));
  }
  HG_ASSIGN_OR_RETURN(eval::BadRowPolicy policy, eval::ParseBadRowPolicy(v.on_bad_row));
  std::optional<eval::Adjudication> adjudication;
  if (!v.adjudication.empty()) {
    HG_ASSIGN_OR_RETURN(adjudication, eval::Adjudication::Read(v.adjudication));
  }
  HG_ASSIGN_OR_RETURN(eval::ScoresFile file, eval::ReadScoreFiles(v.scores, policy));
  HG_ASSIGN_OR_RETURN(std::vector<eval::ScoreRecord> records,
                      eval::FilterDatasets(std::move(file.records), v.datasets));
  const eval::Adjudication* adj = adjudication ? &*adjudication : nullptr;
  HG_ASSIGN_OR_RETURN(guard::Calibration cal, eval::FitCalibration(records, adj));
  HG_RETURN_IF_ERROR(guard::SaveCalibration(cal, v.out));
  std::vector<eval::Scored> before, after;
  for (const eval::ScoreRecord& r : records) {
    before.push_back(eval::ToScored(r, adj));
    after.push_back(eval::Calibrate(before.back(), cal));
  }
  PrintFit(cal, eval::SummarizeCalibration(before, static_cast<int>(v.bins)),
           eval::SummarizeCalibration(after, static_cast<int>(v.bins)), v.out);
  if (!file.bad_rows.empty()) {
    std::fprintf(stderr, "haloguard calibrate: %zu bad rows skipped\n", file.bad_rows.size());
  }
  return OkStatus();
}

int CalibrateMain(int argc, char** argv) {
  CalibrateFlags v;
  FlagSet f("calibrate", "--scores FILE [--scores FILE ...] --out calib.json [flags]",
            /*use_env=*/false);
  f.List("scores", &v.scores, "scores JSONL from `haloguard eval` (repeatable)");
  f.String("out", &v.out, "calibration file to write");
  f.List("dataset", &v.datasets, "fit only on this dataset (repeatable; default: all)");
  f.String("adjudication", &v.adjudication, "JSONL of corrected labels to fit on");
  f.String("on-bad-row", &v.on_bad_row, "skip|fail: what to do with unusable score rows");
  f.Int("bins", &v.bins, "bins of the ECE shown before/after");
  int code = 0;
  if (!ParseOrExit(f, argc, argv, &code)) return code;
  const Status s = Run(v, f);
  if (!s.ok()) return ReportError("calibrate", s, 1);
  return 0;
}

}  // namespace

HG_REGISTER_COMMAND("calibrate", "fit temperature scaling of p_unsafe on saved eval scores",
                    CalibrateMain);

}  // namespace haloguard::cli
