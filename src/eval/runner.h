// Live evaluation: classifies every prompt of the datasets with a guard::Classifier, appending
// each batch's scores to a JSONL file as it goes, so a stopped run resumes where it left off.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "eval/dataset.h"
#include "eval/jsonl.h"
#include "eval/scores.h"
#include "guard/result.h"

namespace haloguard::eval {

struct RunOptions {
  std::string scores_path;  // scores JSONL (required); its run card is scores_path + ".meta.json"
  bool restart = false;     // discard existing scores instead of resuming
  int64_t batch_size = 16;  // requests per Classifier::ClassifyBatch call (>= 1)
  BadRowPolicy on_failure = BadRowPolicy::kSkip;  // a prompt the classifier rejects
  bool save_text = false;                         // also store the prompt text in the scores file
  bool show_progress = true;
};

struct RunResult {
  std::vector<ScoreRecord> records;  // one per scored example, datasets in order, file order
  int64_t resumed = 0;               // taken from an earlier run's scores
  int64_t classified = 0;            // scored by this run
  std::vector<BadRow> failed;        // examples the classifier rejected (skipped)
};

// Builds the score record of one example from its classification.
// INVALID_ARGUMENT if the result's probabilities are not a distribution (LogitFromProbs).
StatusOr<ScoreRecord> MakeScoreRecord(const std::string& dataset, const LabelledExample& ex,
                                      const guard::GuardResult& result, bool save_text);

// Scores every example of `datasets` not already in the scores file (matched by dataset and id;
// the text hash must match, else FAILED_PRECONDITION with a --restart hint, as when the run card
// names another model or window setting). The classifier must not apply a calibration file: the
// logits saved are the raw ones that `calibrate` fits. Classifier errors for single prompts are
// bad rows under options.on_failure. Stale labels/categories/langs in reused records are
// refreshed from the datasets and the file is rewritten. Progress goes to stderr.
StatusOr<RunResult> RunEval(guard::Classifier& classifier, std::span<const Dataset> datasets,
                            const RunOptions& options);

}  // namespace haloguard::eval
