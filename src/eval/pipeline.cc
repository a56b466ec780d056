// Eval/calibrate pipeline steps (see pipeline.h).
#include "eval/pipeline.h"

#include <filesystem>
#include <set>
#include <system_error>

#include "core/clock.h"
#include "core/log.h"
#include "core/mapped_file.h"
#include "eval/plots.h"
#include "eval/temperature.h"

namespace haloguard::eval {

StatusOr<std::vector<Dataset>> ReadDatasets(const std::vector<std::string>& data_args,
                                            BadRowPolicy policy, int64_t limit) {
  std::vector<Dataset> out;
  std::set<std::string> names;
  for (const std::string& arg : data_args) {
    HG_ASSIGN_OR_RETURN(DatasetSpec spec, ParseDatasetSpec(arg));
    if (!names.insert(spec.name).second) {
      return InvalidArgumentError("--data: two datasets are named '" + spec.name +
                                  "'; expected distinct names (hint: NAME=PATH)");
    }
    HG_ASSIGN_OR_RETURN(Dataset ds, ReadDataset(spec, policy, limit));
    out.push_back(std::move(ds));
  }
  return out;
}

StatusOr<ScoresFile> ReadScoreFiles(const std::vector<std::string>& paths, BadRowPolicy policy) {
  ScoresFile all;
  std::set<std::pair<std::string, std::string>> seen;
  for (const std::string& path : paths) {
    HG_ASSIGN_OR_RETURN(ScoresFile f, ReadScores(path, policy, DatasetNameForScoresFile(path)));
    if (f.truncated_tail) {
      HG_LOG(WARNING) << path << ": ignoring a torn last line";
    }
    for (BadRow& b : f.bad_rows) all.bad_rows.push_back(std::move(b));
    for (ScoreRecord& r : f.records) {
      if (!seen.emplace(r.dataset, r.id).second) {
        HG_RETURN_IF_ERROR(HandleBadRow(
            {path, 0,
             "dataset '" + r.dataset + "' id '" + r.id + "' is also in an earlier score file"},
            policy, &all.bad_rows));
        continue;
      }
      all.records.push_back(std::move(r));
    }
  }
  return all;
}

StatusOr<std::vector<ScoreRecord>> FilterDatasets(std::vector<ScoreRecord> records,
                                                  const std::vector<std::string>& datasets) {
  if (datasets.empty()) return records;
  const std::set<std::string> wanted(datasets.begin(), datasets.end());
  std::set<std::string> found;
  std::vector<ScoreRecord> out;
  for (ScoreRecord& r : records) {
    if (!wanted.count(r.dataset)) continue;
    found.insert(r.dataset);
    out.push_back(std::move(r));
  }
  for (const std::string& name : wanted) {
    if (!found.count(name)) {
      return InvalidArgumentError("--dataset: no scores for dataset '" + name + "'");
    }
  }
  return out;
}

StatusOr<guard::Calibration> FitCalibration(const std::vector<ScoreRecord>& records,
                                            const Adjudication* adjudication) {
  std::vector<Scored> xs;
  std::set<std::string> datasets;
  for (const ScoreRecord& r : records) {
    xs.push_back(ToScored(r, adjudication));
    datasets.insert(r.dataset);
  }
  HG_ASSIGN_OR_RETURN(TemperatureFit fit, FitTemperature(xs));
  guard::Calibration c;
  c.temperature = fit.temperature;
  c.fit.examples = fit.count;
  c.fit.nll_before = fit.nll_before;
  c.fit.nll_after = fit.nll_after;
  c.fit.datasets.assign(datasets.begin(), datasets.end());
  c.fit.created_unix = NowUnixSeconds();
  return c;
}

Status EnsureDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return InvalidArgumentError("eval: cannot create output directory '" + dir +
                                "': " + ec.message());
  }
  return OkStatus();
}

Status WriteReportFiles(const EvalReport& report, const std::string& dir, bool plots) {
  HG_RETURN_IF_ERROR(EnsureDirectory(dir));
  HG_RETURN_IF_ERROR(WriteFileAtomic(dir + "/report.json", ReportToJson(report)));
  HG_RETURN_IF_ERROR(WriteFileAtomic(dir + "/report.md", ReportToMarkdown(report)));
  if (plots) HG_RETURN_IF_ERROR(WritePlots(report, dir));
  return OkStatus();
}

}  // namespace haloguard::eval
