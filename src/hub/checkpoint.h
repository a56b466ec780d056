// What files make a HaloGuard/Qwen3.5 checkpoint directory, which of them are present, and their
// digests. Shared by Pull (cache snapshots) and ResolveModelArg (plain directories).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "hub/hub.h"

namespace haloguard::hub {

struct CheckpointFileSpec {
  const char* name;
  bool required;
};

// The non-weight files, in download order (config.json first: it resolves the revision).
inline constexpr CheckpointFileSpec kMetadataFiles[] = {
    {"config.json", true},
    {"tokenizer.json", true},
    {"tokenizer_config.json", true},
    {"generation_config.json", false},
    {"chat_template.jinja", false},
};
inline constexpr const char* kIndexFile = "model.safetensors.index.json";
inline constexpr const char* kSingleWeightsFile = "model.safetensors";
// A PEFT LoRA adapter repo (RepoKind::kAdapter): both required, the config first.
inline constexpr const char* kAdapterConfigFile = "adapter_config.json";
inline constexpr const char* kAdapterWeightsFile = "adapter_model.safetensors";

// The shard file names in an index's "weight_map" values: unique, sorted, each a plain file name.
// Errors: INVALID_ARGUMENT naming `where` for bad JSON, a missing/empty weight_map, or a bad name.
StatusOr<std::vector<std::string>> ParseShardList(std::string_view index_json,
                                                  const std::string& where);

struct CheckpointListing {
  std::vector<std::string> present;  // sorted
  std::vector<std::string> missing;  // required files (or weights) not in the directory
};

// Lists the checkpoint files in `dir`: the metadata files, then the index and its shards or
// model.safetensors. Errors only for an unreadable/invalid index (ParseShardList).
StatusOr<CheckpointListing> ListCheckpointFiles(const std::string& dir);
// ListCheckpointFiles for kCheckpoint; the two adapter files for kAdapter.
StatusOr<CheckpointListing> ListRepoFiles(const std::string& dir, RepoKind kind);
// The file that resolves a revision (config.json or adapter_config.json).
const char* FirstRepoFile(RepoKind kind);

// Fills model->digests ("sha256:<hex>") and model->undigested for `files` in model->dir: a file
// that resolves (through symlinks) to ".../blobs/<64 hex>" is named by its blob (the hub cache is
// content-addressed and blobs are verified before they get that name); others are hashed if at
// most kSmallFileBytes or if `hash_large`, else listed as undigested. Errors: unreadable files.
Status ComputeDigests(const std::vector<std::string>& files, bool hash_large, ResolvedModel* model);

// The human list of what a checkpoint (or an adapter) needs, for error messages.
std::string RequiredFilesText(RepoKind kind = RepoKind::kCheckpoint);

}  // namespace haloguard::hub
