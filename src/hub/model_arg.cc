// ResolveModelArg: the `--model` flag as a local checkpoint directory or a Hub repo id.
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "hub/cache.h"
#include "hub/checkpoint.h"
#include "hub/hub.h"
#include "hub/settings.h"

namespace haloguard::hub {
namespace {

std::string BaseName(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }
std::string DirName(const std::string& path) { return path.substr(0, path.find_last_of('/')); }

// A hub cache snapshot .../models--owner--name/snapshots/<commit> names its repo and commit.
void DetectSnapshot(ResolvedModel* model) {
  const std::string commit = BaseName(model->dir);
  const std::string snapshots = DirName(model->dir);
  const std::string folder = BaseName(DirName(snapshots));
  const std::string prefix = "models--";
  if (!IsCommitHash(commit) || BaseName(snapshots) != "snapshots" || folder.rfind(prefix, 0) != 0) {
    return;
  }
  std::string rest = folder.substr(prefix.size());
  const size_t sep = rest.find("--");
  if (sep == std::string::npos) return;
  const std::string repo_id = rest.substr(0, sep) + "/" + rest.substr(sep + 2);
  if (!ValidateRepoId(repo_id).ok()) return;
  model->repo_id = repo_id;
  model->revision = commit;
}

// "--model" or "--adapter", for messages.
std::string FlagName(const PullOptions& options) {
  return options.kind == RepoKind::kAdapter ? "--adapter" : "--model";
}

StatusOr<ResolvedModel> LocalModel(const std::string& arg, const PullOptions& options) {
  char buf[PATH_MAX];
  const std::string flag = FlagName(options);
  if (::realpath(arg.c_str(), buf) == nullptr) {
    return NotFoundError(flag + " '" + arg + "': cannot resolve the directory path");
  }
  ResolvedModel model{.dir = buf};
  HG_ASSIGN_OR_RETURN(CheckpointListing listing, ListRepoFiles(model.dir, options.kind));
  const std::string first = FirstRepoFile(options.kind);
  if (!PathExists(model.dir + "/" + first)) {
    return NotFoundError(flag + " '" + arg + "': expected a " +
                         (options.kind == RepoKind::kAdapter ? "PEFT adapter" : "checkpoint") +
                         " directory with " + first + " in it, got a directory without one (it needs " +
                         RequiredFilesText(options.kind) + ")");
  }
  model.files = listing.present;
  DetectSnapshot(&model);
  HG_RETURN_IF_ERROR(ComputeDigests(model.files, options.hash_large_local_files, &model));
  return model;
}

bool LooksLikePath(const std::string& arg) {
  const size_t slashes = std::count(arg.begin(), arg.end(), '/');
  return arg[0] == '/' || arg[0] == '.' || arg[0] == '~' || slashes != 1 || arg.back() == '/';
}

}  // namespace

StatusOr<ResolvedModel> ResolveModelArg(const std::string& model_arg, const PullOptions& options) {
  const std::string flag = FlagName(options);
  if (model_arg.empty()) {
    return InvalidArgumentError(flag + ": expected a directory or a repo id owner/name, got an "
                                "empty value");
  }
  struct stat st;
  if (::stat(model_arg.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return LocalModel(model_arg, options);
    return InvalidArgumentError(flag + " '" + model_arg + "': expected a directory or a repo id, "
                                "got a file (hint: pass the directory that holds " +
                                FirstRepoFile(options.kind) + ")");
  }
  if (options.kind == RepoKind::kCheckpoint && ExpandRepoAlias(model_arg) != model_arg) {
    return Pull(model_arg, options);
  }
  if (LooksLikePath(model_arg)) {
    return NotFoundError(flag + " '" + model_arg + "': no such directory (a repo id has the form "
                         "owner/name" + (options.kind == RepoKind::kCheckpoint ? "; " + RepoAliasesHelp() : "") + ")");
  }
  Status valid = ValidateRepoId(model_arg);
  if (!valid.ok()) {
    return InvalidArgumentError(flag + " '" + model_arg + "': expected an existing directory or "
                                "a repo id; " + valid.message());
  }
  StatusOr<ResolvedModel> pulled = Pull(model_arg, options);
  if (!pulled.ok() && pulled.status().code() == StatusCode::kNotFound) {
    return Status(StatusCode::kNotFound, pulled.status().message() + " (no local directory '" +
                                             model_arg + "' exists either)");
  }
  return pulled;
}

StatusOr<ResolvedModel> ResolveAdapterArg(const std::string& adapter_arg, PullOptions options) {
  options.kind = RepoKind::kAdapter;
  options.hash_large_local_files = true;  // /health reports its sha256 (adapters are small)
  return ResolveModelArg(adapter_arg, options);
}

}  // namespace haloguard::hub
