// Where the hub module talks to and stores things: endpoint, token, cache directory and offline
// mode resolved from PullOptions and the environment exactly as huggingface_hub's constants.py
// does, plus validation of repo ids, revisions and checkpoint file names. No I/O besides getenv
// and reading the token file.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hub/hub.h"

namespace haloguard::hub {

// Returns the value of an environment variable or nullptr; injectable so tests need not setenv.
using EnvLookup = std::function<const char*(const char*)>;
EnvLookup ProcessEnv();

struct HubSettings {
  std::string endpoint;   // e.g. "https://huggingface.co", no trailing '/'
  std::string token;      // "" when none is configured
  std::string cache_dir;  // hub cache root (holds models--owner--name/)
  bool offline = false;
};

// Precedence (first non-empty wins):
//   endpoint:  options.endpoint, $HF_ENDPOINT, https://huggingface.co
//   token:     options.token, $HF_TOKEN, $HUGGING_FACE_HUB_TOKEN, file $HF_TOKEN_PATH or $HF_HOME/token
//   cache_dir: options.cache_dir, $HF_HUB_CACHE, $HUGGINGFACE_HUB_CACHE, $HF_HOME/hub,
//              $XDG_CACHE_HOME/huggingface/hub, $HOME/.cache/huggingface/hub ("~/" is expanded)
//   offline:   options.offline, $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE in {1,ON,YES,TRUE}
// Errors: INVALID_ARGUMENT for an endpoint that is not http(s)://, FAILED_PRECONDITION when no
// cache directory can be derived (no HOME and nothing set).
StatusOr<HubSettings> ResolveSettings(const PullOptions& options, const EnvLookup& env);

// "owner/name" with each part of [A-Za-z0-9_.-], at most 96 characters, no "--" or "..", no
// leading/trailing '-' or '.', not ending in ".git" (huggingface_hub's validate_repo_id, with the
// owner required). INVALID_ARGUMENT otherwise.
Status ValidateRepoId(std::string_view repo_id);
// A branch, tag or commit: non-empty, printable ASCII, no "..", no leading '/', no '\\'.
Status ValidateRevision(std::string_view revision);
// A file name the checkpoint may name (index shards included): a plain name without '/', '\\',
// leading '.', or control bytes, at most 255 bytes. Guards the cache against path traversal.
Status ValidateFileName(std::string_view name);

// True for a full 40-character lowercase hex git commit id.
bool IsCommitHash(std::string_view s);
// True for `n` lowercase hex characters.
bool IsLowerHex(std::string_view s, size_t n);

// "models--owner--name": the cache folder name of a model repo.
std::string RepoFolderName(std::string_view repo_id);

}  // namespace haloguard::hub
