// RunEval: batched classification with resumable, append-only score output (see runner.h).
#include "eval/runner.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/log.h"
#include "core/mapped_file.h"
#include "eval/lang_groups.h"
#include "eval/progress.h"

namespace haloguard::eval {
namespace {

using Key = std::pair<std::string, std::string>;  // (dataset, id)

struct PendingItem {
  const Dataset* dataset;
  const LabelledExample* example;
};

// Scores of an earlier run of the same output, by key, plus the valid length of the file.
struct Prior {
  std::map<Key, ScoreRecord> by_key;
  std::vector<Key> order;  // file order
  int64_t valid_bytes = 0;
};

std::string RunCardJson(const guard::ModelInfo& info) {
  nlohmann::ordered_json j;
  j["model_id"] = info.model_id;
  j["model_revision"] = info.model_revision;
  j["dtype"] = info.dtype;
  j["window_length"] = info.window_length;
  j["window_stride"] = info.window_stride;
  return j.dump(2) + "\n";
}

// The run card pins what a resumed run must share with the first one: scores of two models or
// window settings must not mix in one file.
Status CheckAndWriteRunCard(const guard::ModelInfo& info, const std::string& card_path,
                            bool resuming) {
  const std::string card = RunCardJson(info);
  if (resuming && std::filesystem::exists(card_path)) {
    HG_ASSIGN_OR_RETURN(std::string old, ReadFileToString(card_path, 1 << 20));
    if (old != card) {
      return FailedPreconditionError("eval: the scores in '" + card_path +
                                     "' were made by another model or window "
                                     "setting; expected " +
                                     card + "got " + old +
                                     "hint: --restart to discard them, or another --out");
    }
    return OkStatus();
  }
  return WriteFileAtomic(card_path, card);
}

StatusOr<Prior> LoadPrior(const RunOptions& options) {
  Prior prior;
  if (options.restart || !std::filesystem::exists(options.scores_path)) return prior;
  HG_ASSIGN_OR_RETURN(ScoresFile file, ReadScores(options.scores_path, BadRowPolicy::kFail));
  if (file.truncated_tail) {
    HG_LOG(WARNING) << options.scores_path << ": dropping a torn last line (interrupted write)";
  }
  prior.valid_bytes = file.valid_bytes;
  for (ScoreRecord& r : file.records) {
    Key key{r.dataset, r.id};
    prior.order.push_back(key);
    prior.by_key.emplace(std::move(key), std::move(r));
  }
  return prior;
}

// Copies the dataset's current metadata into a reused record; returns true if anything changed.
bool RefreshMetadata(const LabelledExample& ex, ScoreRecord* r) {
  const ResolvedLangGroup g = ResolveLangGroup(ex.lang, ex.text);
  const bool stale = r->label != ex.label || r->category != ex.category || r->lang != ex.lang ||
                     r->lang_group != g.group || r->lang_group_source != g.source;
  r->label = ex.label;
  r->category = ex.category;
  r->lang = ex.lang;
  r->lang_group = g.group;
  r->lang_group_source = g.source;
  return stale;
}

// Splits the examples into reused records (checked against their text hash) and pending work.
Status MatchPrior(std::span<const Dataset> datasets, const std::string& scores_path, Prior* prior,
                  std::vector<PendingItem>* pending, int64_t* reused, bool* stale) {
  for (const Dataset& ds : datasets) {
    for (const LabelledExample& ex : ds.examples) {
      const auto it = prior->by_key.find({ds.name, ex.id});
      if (it == prior->by_key.end()) {
        pending->push_back({&ds, &ex});
        continue;
      }
      const std::string hash = Sha256Hex(ex.text);
      if (!it->second.text_sha256.empty() && it->second.text_sha256 != hash) {
        return FailedPreconditionError(
            "eval: '" + scores_path + "' holds a score for dataset '" + ds.name + "' id '" + ex.id +
            "' of another text; expected sha256 " + hash + ", got " + it->second.text_sha256 +
            " (hint: --restart, or another --out)");
      }
      *stale |= RefreshMetadata(ex, &it->second);
      ++*reused;
    }
  }
  return OkStatus();
}

// Classifies one batch, appends its records, and routes per-prompt failures through `policy`.
Status RunBatch(guard::Classifier& classifier, std::span<const PendingItem> batch,
                const RunOptions& options, ScoresWriter* writer, std::map<Key, ScoreRecord>* out,
                std::vector<BadRow>* failed) {
  std::vector<guard::ClassifyRequest> requests;
  requests.reserve(batch.size());
  for (const PendingItem& item : batch) requests.push_back({item.example->text, false});
  std::vector<StatusOr<guard::GuardResult>> results = classifier.ClassifyBatch(requests);
  HG_CHECK(results.size() == batch.size())
      << "Classifier::ClassifyBatch returned " << results.size() << " results for " << batch.size()
      << " requests";
  std::vector<ScoreRecord> records;
  for (size_t i = 0; i < batch.size(); ++i) {
    const PendingItem& item = batch[i];
    StatusOr<ScoreRecord> r = results[i].ok() ? MakeScoreRecord(item.dataset->name, *item.example,
                                                                *results[i], options.save_text)
                                              : StatusOr<ScoreRecord>(results[i].status());
    if (!r.ok()) {
      HG_RETURN_IF_ERROR(HandleBadRow(
          {item.dataset->path, item.example->line, "classify: " + r.status().message()},
          options.on_failure, failed));
      continue;
    }
    records.push_back(*r);
  }
  HG_RETURN_IF_ERROR(writer->Append(records));
  for (ScoreRecord& r : records) {
    Key key{r.dataset, r.id};
    out->emplace(std::move(key), std::move(r));
  }
  return OkStatus();
}

// Rewrites the scores file with refreshed records (this run's datasets first, then the records
// of other datasets kept from earlier runs, in their file order).
Status RewriteScores(const std::string& path, const std::vector<ScoreRecord>& current,
                     const Prior& prior, const std::map<Key, ScoreRecord>& all) {
  std::string text;
  std::map<Key, bool> written;
  for (const ScoreRecord& r : current) {
    text += ScoreRecordToJson(r) + "\n";
    written[{r.dataset, r.id}] = true;
  }
  for (const Key& key : prior.order) {
    if (written.count(key)) continue;
    text += ScoreRecordToJson(all.at(key)) + "\n";
  }
  return WriteFileAtomic(path, text);
}

}  // namespace

StatusOr<ScoreRecord> MakeScoreRecord(const std::string& dataset, const LabelledExample& ex,
                                      const guard::GuardResult& result, bool save_text) {
  ScoreRecord r;
  r.id = ex.id;
  r.dataset = dataset;
  r.text_sha256 = Sha256Hex(ex.text);
  r.label = ex.label;
  r.lang = ex.lang;
  const ResolvedLangGroup g = ResolveLangGroup(ex.lang, ex.text);
  r.lang_group = g.group;
  r.lang_group_source = g.source;
  r.category = ex.category;
  r.p_unsafe = result.p_unsafe;
  HG_ASSIGN_OR_RETURN(r.logit, LogitFromProbs(result.p_unsafe, result.p_safe));
  r.pred_category = result.category;
  r.window_count = result.window_count;
  if (save_text) r.text = ex.text;
  return r;
}

StatusOr<RunResult> RunEval(guard::Classifier& classifier, std::span<const Dataset> datasets,
                            const RunOptions& options) {
  if (options.batch_size < 1) {
    return InvalidArgumentError("eval: --batch-size; expected >= 1, got " +
                                std::to_string(options.batch_size));
  }
  HG_ASSIGN_OR_RETURN(Prior prior, LoadPrior(options));
  HG_RETURN_IF_ERROR(CheckAndWriteRunCard(classifier.info(), options.scores_path + ".meta.json",
                                          !options.restart && !prior.by_key.empty()));
  RunResult result;
  std::vector<PendingItem> pending;
  bool stale = false;
  HG_RETURN_IF_ERROR(
      MatchPrior(datasets, options.scores_path, &prior, &pending, &result.resumed, &stale));
  if (result.resumed > 0) {
    HG_LOG(INFO) << "resuming: " << result.resumed << " prompts already scored in "
                 << options.scores_path;
  }
  HG_ASSIGN_OR_RETURN(ScoresWriter writer,
                      ScoresWriter::Open(options.scores_path, prior.valid_bytes));
  std::map<Key, ScoreRecord> all = std::move(prior.by_key);
  {
    ProgressBar bar(result.resumed + static_cast<int64_t>(pending.size()), result.resumed, "eval",
                    options.show_progress);
    const auto batch = static_cast<size_t>(options.batch_size);
    for (size_t start = 0; start < pending.size(); start += batch) {
      const size_t n = std::min(batch, pending.size() - start);
      HG_RETURN_IF_ERROR(RunBatch(classifier, std::span(pending).subspan(start, n), options,
                                  &writer, &all, &result.failed));
      result.classified += static_cast<int64_t>(n);
      bar.Advance(static_cast<int64_t>(n), pending[start + n - 1].dataset->name);
    }
  }
  HG_RETURN_IF_ERROR(writer.Close());
  result.classified -= static_cast<int64_t>(result.failed.size());
  for (const Dataset& ds : datasets) {
    for (const LabelledExample& ex : ds.examples) {
      if (auto it = all.find({ds.name, ex.id}); it != all.end())
        result.records.push_back(it->second);
    }
  }
  if (stale) HG_RETURN_IF_ERROR(RewriteScores(options.scores_path, result.records, prior, all));
  return result;
}

}  // namespace haloguard::eval
