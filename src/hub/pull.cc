// Pull: resolve a revision to a commit, fetch every checkpoint file of that commit into the hub
// cache (or find them there), fall back to the cache when the Hub is unreachable.
#include <algorithm>
#include <string>

#include "core/log.h"
#include "core/mapped_file.h"
#include "hub/checkpoint.h"
#include "hub/fetch.h"
#include "hub/hub.h"
#include "hub/settings.h"

namespace haloguard::hub {
namespace {

struct PullRequest {
  std::string repo_id;
  PullOptions options;
  HubSettings settings;
};

// The model in snapshots/<commit> for `revision`, if the cache has all of it.
StatusOr<ResolvedModel> FromCache(const PullRequest& req, const RepoCache& cache) {
  HG_ASSIGN_OR_RETURN(std::string commit, cache.ResolveRevision(req.options.revision));
  const std::string dir = cache.SnapshotDir(commit);
  HG_ASSIGN_OR_RETURN(CheckpointListing listing, ListRepoFiles(dir, req.options.kind));
  if (!listing.missing.empty()) {
    std::string missing;
    for (const auto& m : listing.missing) missing += (missing.empty() ? "" : ", ") + m;
    return NotFoundError("hub cache: snapshot " + dir + " is incomplete; missing " + missing);
  }
  ResolvedModel model{.dir = dir, .repo_id = req.repo_id, .revision = commit};
  model.files = listing.present;
  model.from_cache_only = true;
  HG_RETURN_IF_ERROR(ComputeDigests(model.files, req.options.hash_large_local_files, &model));
  return model;
}

// The "no network and no cached model" error: what happened, and exactly how to fix it.
Status NoModelError(const PullRequest& req, const RepoCache& cache, const Status& cause,
                    const Status& cache_problem) {
  const std::string& rev = req.options.revision;
  const std::string target = req.repo_id + "@" + rev;
  std::string msg = "hub: cannot get " + target + ": " + cause.message() +
                    "; and the local cache has no complete copy (" + cache_problem.message() +
                    ").\nTo fix it, either:\n  - run `haloguard pull " + req.repo_id +
                    (rev == "main" ? "" : " --revision " + rev) +
                    "` on a machine with network access, which fills " + cache.repo_dir() +
                    " (copy that folder, or the whole " + req.settings.cache_dir +
                    ", to the same place here; HF_HUB_CACHE or HF_HOME select it), or\n"
                    "  - download " + RequiredFilesText(req.options.kind) + " from " +
                    req.settings.endpoint + "/" + req.repo_id + "/tree/" + rev +
                    " into one directory and pass that directory as " +
                    (req.options.kind == RepoKind::kAdapter ? "--adapter" : "--model") + ".";
  if (req.options.kind == RepoKind::kCheckpoint) {
    msg += "\nTo try HaloGuard without the real model: `haloguard make-checkpoint --preset tiny "
           "--out DIR`, then --model DIR (random weights: its verdicts mean nothing).";
  }
  return Status(cause.code() == StatusCode::kUnavailable ? StatusCode::kUnavailable
                                                         : StatusCode::kNotFound,
                msg);
}

// Ensures snapshots/<commit>/<name> exists; false if an optional file is absent from the repo.
StatusOr<bool> FetchFile(Fetcher& fetcher, const PullRequest& req, const std::string& commit,
                         const std::string& name, bool required,
                         const FileMetadata* known = nullptr) {
  const RepoCache& cache = fetcher.cache();
  // A file of an immutable commit already linked in the snapshot needs no request (the Python
  // hub takes the same shortcut for commit revisions).
  if (PathExists(cache.SnapshotPath(commit, name)) && !req.options.verify_cache) return true;
  if (!required && cache.HasNoExist(commit, name)) return false;
  StatusOr<FileMetadata> meta = known ? StatusOr<FileMetadata>(*known) : fetcher.Metadata(commit, name);
  if (!meta.ok()) {
    if (!IsEntryNotFound(meta.status())) return meta.status();
    if (required) {
      return NotFoundError("hub: " + req.repo_id + "@" + commit + " has no " + name +
                           (req.options.kind == RepoKind::kAdapter ? "; expected a PEFT LoRA adapter with "
                                                                    : "; expected a HaloGuard/Qwen3.5 checkpoint with ") +
                           RequiredFilesText(req.options.kind));
    }
    HG_RETURN_IF_ERROR(cache.MarkNoExist(commit, name));
    return false;
  }
  HG_RETURN_IF_ERROR(fetcher.Download(commit, name, *meta));
  return true;
}

Status FetchWeights(Fetcher& fetcher, const PullRequest& req, const std::string& commit) {
  HG_ASSIGN_OR_RETURN(bool has_index, FetchFile(fetcher, req, commit, kIndexFile, false));
  if (!has_index) return FetchFile(fetcher, req, commit, kSingleWeightsFile, true).status();
  const std::string index = fetcher.cache().SnapshotPath(commit, kIndexFile);
  HG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(index, 64u << 20));
  HG_ASSIGN_OR_RETURN(std::vector<std::string> shards, ParseShardList(text, index));
  for (const auto& shard : shards) {
    HG_RETURN_IF_ERROR(FetchFile(fetcher, req, commit, shard, true).status());
  }
  return OkStatus();
}

// Everything after the first file: the other metadata files and the weights (a checkpoint), or
// adapter_model.safetensors (an adapter).
Status FetchRest(Fetcher& fetcher, const PullRequest& req, const std::string& commit) {
  if (req.options.kind == RepoKind::kAdapter) {
    return FetchFile(fetcher, req, commit, kAdapterWeightsFile, true).status();
  }
  for (const auto& spec : kMetadataFiles) {
    if (std::string(spec.name) == "config.json") continue;
    HG_RETURN_IF_ERROR(FetchFile(fetcher, req, commit, spec.name, spec.required).status());
  }
  return FetchWeights(fetcher, req, commit);
}

StatusOr<ResolvedModel> PullOnline(const PullRequest& req, int renames_left);

// The Hub redirected config.json of req.repo_id to `new_id`: pull (and cache) under the new name.
StatusOr<ResolvedModel> PullRenamed(const PullRequest& req, const std::string& new_id,
                                    int renames_left) {
  HG_RETURN_IF_ERROR(ValidateRepoId(new_id));
  if (renames_left <= 0) {
    return Status(StatusCode::kUnknown, "hub: " + req.repo_id + " redirects to " + new_id +
                                            ", which is renamed again; giving up (a rename loop?)");
  }
  HG_LOG(INFO) << "hub: " << req.repo_id << " was renamed on the Hub; using " << new_id;
  PullRequest renamed = req;
  renamed.repo_id = new_id;
  HG_ASSIGN_OR_RETURN(ResolvedModel model, PullOnline(renamed, renames_left - 1));
  if (model.requested_id.empty()) model.requested_id = req.repo_id;
  return model;
}

// Resolves the revision with a HEAD on config.json, then fetches every file of that commit.
StatusOr<ResolvedModel> PullOnline(const PullRequest& req, int renames_left) {
  Fetcher fetcher(req.settings, req.options, req.repo_id);
  const RepoCache& cache = fetcher.cache();
  const std::string& rev = req.options.revision;
  const char* first = FirstRepoFile(req.options.kind);
  StatusOr<ResolvedModel> cached = FromCache(req, cache);
  // An immutable commit already complete in the cache needs no request at all.
  if (cached.ok() && IsCommitHash(rev) && !req.options.verify_cache) return cached;
  // With a usable copy at hand, an unreachable Hub should not cost the full retry schedule
  // (~15 s): one quick retry, then the cache, as huggingface_hub does.
  StatusOr<FileMetadata> config =
      fetcher.Metadata(rev, first, cached.ok() ? std::min(1, req.options.max_retries) : -1);
  if (!config.ok()) {
    if (req.options.kind == RepoKind::kAdapter && IsEntryNotFound(config.status())) {
      return NotFoundError("hub: " + req.repo_id + "@" + rev + " has no " + first +
                           "; expected a PEFT LoRA adapter repo with " + RequiredFilesText(req.options.kind));
    }
    if (!IsTransient(config.status())) return config.status();
    if (!cached.ok()) return NoModelError(req, cache, config.status(), cached.status());
    HG_LOG(WARNING) << "the Hub is unreachable (" << config.status().message()
                    << "); using the cached snapshot " << cached->dir;
    return cached;
  }
  if (!config->renamed_to.empty()) return PullRenamed(req, config->renamed_to, renames_left);
  std::string commit = config->commit.empty() && IsCommitHash(rev) ? rev : config->commit;
  if (!IsCommitHash(commit)) {
    return DataLossError("hub: " + req.repo_id + "@" + rev + ": expected the server to name the "
                         "commit in X-Repo-Commit (40 hex), got '" + config->commit + "'");
  }
  HG_RETURN_IF_ERROR(cache.WriteRef(rev, commit));
  HG_RETURN_IF_ERROR(FetchFile(fetcher, req, commit, first, true, &*config).status());
  HG_RETURN_IF_ERROR(FetchRest(fetcher, req, commit));
  ResolvedModel model{.dir = cache.SnapshotDir(commit), .repo_id = req.repo_id, .revision = commit};
  HG_ASSIGN_OR_RETURN(CheckpointListing listing, ListRepoFiles(model.dir, req.options.kind));
  if (!listing.missing.empty()) {
    return InternalError("hub: " + model.dir + ": files missing after download: " +
                         listing.missing.front());
  }
  model.files = listing.present;
  HG_RETURN_IF_ERROR(ComputeDigests(model.files, req.options.hash_large_local_files, &model));
  return model;
}

// Pull for a repo id that is not an alias.
StatusOr<ResolvedModel> PullCanonical(const std::string& repo_id, const PullOptions& options) {
  HG_RETURN_IF_ERROR(ValidateRepoId(repo_id));
  HG_RETURN_IF_ERROR(ValidateRevision(options.revision));
  HG_ASSIGN_OR_RETURN(HubSettings settings, ResolveSettings(options, ProcessEnv()));
  const PullRequest req{repo_id, options, settings};
  if (!settings.offline) return PullOnline(req, /*renames_left=*/3);
  const RepoCache cache(settings.cache_dir, repo_id);
  StatusOr<ResolvedModel> cached = FromCache(req, cache);
  if (cached.ok()) return cached;
  return NoModelError(req, cache,
                      NotFoundError("offline mode is on (--offline or HF_HUB_OFFLINE=1), so the "
                                    "Hub was not asked"),
                      cached.status());
}

}  // namespace

StatusOr<ResolvedModel> Pull(const std::string& requested, const PullOptions& options) {
  const std::string repo_id = ExpandRepoAlias(requested);
  if (repo_id != requested) {
    HG_LOG(INFO) << "hub: " << requested << " is an alias of " << repo_id;
  }
  HG_ASSIGN_OR_RETURN(ResolvedModel model, PullCanonical(repo_id, options));
  if (repo_id != requested && model.requested_id.empty()) model.requested_id = requested;
  return model;
}

}  // namespace haloguard::hub
