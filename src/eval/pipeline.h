// The steps `haloguard eval` and `haloguard calibrate` chain together, as library calls so they
// are tested without the CLI: reading many datasets or score files, fitting a calibration from
// scores, and writing the report files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "eval/adjudication.h"
#include "eval/dataset.h"
#include "eval/report.h"
#include "eval/scores.h"
#include "guard/calibration.h"

namespace haloguard::eval {

// Reads every `--data` argument (ParseDatasetSpec syntax). Two datasets may not share a name
// (INVALID_ARGUMENT: their scores would mix); other errors as ReadDataset.
StatusOr<std::vector<Dataset>> ReadDatasets(const std::vector<std::string>& data_args,
                                            BadRowPolicy policy, int64_t limit);

// Reads and concatenates score files (rows naming no dataset belong to one named after their file,
// DatasetNameForScoresFile); a (dataset, id) present in two files is a bad row of the
// later one. A torn last line (interrupted run) is dropped with a warning.
StatusOr<ScoresFile> ReadScoreFiles(const std::vector<std::string>& paths, BadRowPolicy policy);

// Keeps the records of the named datasets (all when `datasets` is empty); INVALID_ARGUMENT if a
// name matches no record.
StatusOr<std::vector<ScoreRecord>> FilterDatasets(std::vector<ScoreRecord> records,
                                                  const std::vector<std::string>& datasets);

// Fits temperature scaling (eval/temperature.h) on the records' logits and labels (adjudicated
// labels when `adjudication` is given) and fills the provenance of the calibration file.
StatusOr<guard::Calibration> FitCalibration(const std::vector<ScoreRecord>& records,
                                            const Adjudication* adjudication);

// Creates `dir` and its parents if needed; INVALID_ARGUMENT naming the directory otherwise.
Status EnsureDirectory(const std::string& dir);

// Creates `dir` if needed and writes report.json, report.md and (if `plots`) the SVG plots.
Status WriteReportFiles(const EvalReport& report, const std::string& dir, bool plots);

}  // namespace haloguard::eval
