// Public API of the hub module: get a HaloGuard/Qwen3.5 checkpoint onto local disk, from a plain
// directory or from the Hugging Face Hub (downloaded, sha256-verified and cached in the layout the
// Python `huggingface_hub` uses, so each reuses the other's downloads). Not a general Hub client.
//
//   hub::PullOptions opts;              // revision "main", endpoint/token/cache from the environment
//   HG_ASSIGN_OR_RETURN(hub::ResolvedModel m, hub::ResolveModelArg(flag_model, opts));
//   LoadModel(m.dir);                   // config.json, tokenizer files, *.safetensors live in m.dir
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "hub/aliases.h"

namespace haloguard::hub {

// What a repo holds: a full checkpoint, or a PEFT LoRA adapter (adapter_config.json +
// adapter_model.safetensors; its base model is not pulled: docs/LORA.md).
enum class RepoKind { kCheckpoint, kAdapter };

struct PullOptions {
  RepoKind kind = RepoKind::kCheckpoint;
  std::string revision = "main";  // branch, tag or 40-hex commit
  bool offline = false;           // also HF_HUB_OFFLINE=1 (or TRANSFORMERS_OFFLINE=1)
  std::string endpoint;           // "" -> $HF_ENDPOINT or https://huggingface.co
  std::string token;              // "" -> $HF_TOKEN, else the token file ($HF_TOKEN_PATH, $HF_HOME/token)
  std::string cache_dir;          // "" -> $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub
  bool progress = true;           // progress bar on stderr when it is a TTY (plain lines otherwise)
  // Re-hash blobs already in the cache and re-download any whose sha256 does not match its name.
  // Off by default: blobs enter the cache only after verification, like huggingface_hub trusts them.
  bool verify_cache = false;
  // ResolveModelArg on a plain directory: also sha256 files over kSmallFileBytes that are not hub
  // blobs (about 0.7 s per GB here). Off: such files are listed in ResolvedModel::undigested.
  bool hash_large_local_files = false;
  // Transport retries (connection errors, timeouts, HTTP 429/5xx) per request, with exponential
  // backoff starting at retry_base_seconds and capped at 16x that.
  int max_retries = 5;
  double retry_base_seconds = 0.5;
};

struct ResolvedModel {
  std::string dir;               // local directory holding config.json, tokenizer files, *.safetensors
  std::string repo_id;           // "" for a plain local directory; after aliases and renames
  // What the caller asked for when it differs from repo_id (an alias, or a repo the Hub renamed).
  std::string requested_id;
  std::string revision;          // resolved commit sha ("" if unknown, e.g. a plain local dir)
  // file name -> "sha256:<hex>". LFS files: the Hub's LFS oid (verified on download, then the
  // cache blob's name); other files: hashed locally (they are small).
  std::map<std::string, std::string> digests;
  std::vector<std::string> undigested;  // files left unhashed (see hash_large_local_files)
  std::vector<std::string> files;       // every checkpoint file found, sorted
  bool from_cache_only = false;         // true when the Hub was not asked (offline / unreachable)
};

// Files up to this size are always hashed locally when a digest is needed.
inline constexpr uint64_t kSmallFileBytes = 64ull << 20;

// Downloads (or finds in the cache) everything a HaloGuard/Qwen3.5 checkpoint needs:
// config.json, tokenizer.json, tokenizer_config.json, generation_config.json and
// chat_template.jinja if present, and model.safetensors or model.safetensors.index.json plus every
// shard it lists, all from the commit `options.revision` resolves to.
// `repo_id` is "owner/name" or an alias (ExpandRepoAlias). A repo the Hub has renamed (a relative
// redirect of the resolve URL to another owner/name) is fetched and cached under its new name,
// which is logged and returned as repo_id (requested_id keeps the old one). Errors: INVALID_ARGUMENT (bad repo id / revision), UNAUTHENTICATED /
// PERMISSION_DENIED (gated or private repo; the message says how to set HF_TOKEN), NOT_FOUND (repo,
// revision or required file missing; also offline mode with nothing usable in the cache),
// UNAVAILABLE (Hub unreachable and nothing usable in the cache), DATA_LOSS (sha256 still wrong
// after re-downloading). Both "nothing in the cache" messages list exactly what to download and
// where to put it. When the Hub is unreachable but the cache holds a complete snapshot of the
// revision, that snapshot is returned (from_cache_only) after one quick retry. Thread-safe; concurrent pulls of the same files (threads or processes, ours or
// huggingface_hub's) serialise on the same lock files.
StatusOr<ResolvedModel> Pull(const std::string& repo_id, const PullOptions& options);

// The `--model` argument of serve/classify/eval/bench. An existing directory is used as is: its
// digests are the blob names when its files link into a hub cache, else the sha256 of files up to
// kSmallFileBytes (larger ones only with hash_large_local_files). A path to a cache snapshot
// (.../models--o--n/snapshots/<commit>) also reports its repo id and commit. Anything else must
// be a repo id "owner/name" and is pulled (or found in the cache). Errors: NOT_FOUND for a path
// that does not exist, INVALID_ARGUMENT for a file or an argument that is neither, plus Pull's.
StatusOr<ResolvedModel> ResolveModelArg(const std::string& model_arg, const PullOptions& options);

// The `--adapter` argument: as ResolveModelArg (a directory used as is, else a repo id pulled or
// found in the cache), for a PEFT LoRA adapter: adapter_config.json and adapter_model.safetensors
// are required, and only they are fetched (options.kind is set to kAdapter); a local directory's
// files are always hashed (hash_large_local_files), so the digest is known.
StatusOr<ResolvedModel> ResolveAdapterArg(const std::string& adapter_arg, PullOptions options);

}  // namespace haloguard::hub
