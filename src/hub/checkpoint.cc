// Checkpoint file set: index parsing, presence listing and digests.
#include "hub/checkpoint.h"

#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/mapped_file.h"
#include "hub/cache.h"
#include "hub/digest.h"
#include "hub/settings.h"

namespace haloguard::hub {

StatusOr<std::vector<std::string>> ParseShardList(std::string_view index_json,
                                                  const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(index_json);
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(where + ": expected JSON, got a parse error: " + e.what());
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object() ||
      j["weight_map"].empty()) {
    return InvalidArgumentError(where + ": expected a non-empty object \"weight_map\"");
  }
  std::set<std::string> shards;
  for (const auto& [tensor, file] : j["weight_map"].items()) {
    if (!file.is_string()) {
      return InvalidArgumentError(where + ": weight_map[\"" + tensor + "\"]: expected a file "
                                  "name string, got " + file.type_name());
    }
    const std::string name = file.get<std::string>();
    Status ok = ValidateFileName(name);
    if (!ok.ok()) return ok.WithPrefix(where);
    shards.insert(name);
  }
  return std::vector<std::string>(shards.begin(), shards.end());
}

StatusOr<CheckpointListing> ListCheckpointFiles(const std::string& dir) {
  CheckpointListing out;
  auto note = [&](const std::string& name, bool required) {
    if (PathExists(dir + "/" + name)) {
      out.present.push_back(name);
    } else if (required) {
      out.missing.push_back(name);
    }
  };
  for (const auto& spec : kMetadataFiles) note(spec.name, spec.required);
  const std::string index = dir + "/" + kIndexFile;
  if (PathExists(index)) {
    HG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(index, 64u << 20));
    HG_ASSIGN_OR_RETURN(std::vector<std::string> shards, ParseShardList(text, index));
    out.present.push_back(kIndexFile);
    for (const auto& s : shards) note(s, true);
  } else if (PathExists(dir + "/" + kSingleWeightsFile)) {
    out.present.push_back(kSingleWeightsFile);
  } else {
    out.missing.push_back(std::string(kSingleWeightsFile) + " (or " + kIndexFile +
                          " and its shards)");
  }
  std::sort(out.present.begin(), out.present.end());
  return out;
}

StatusOr<CheckpointListing> ListRepoFiles(const std::string& dir, RepoKind kind) {
  if (kind == RepoKind::kCheckpoint) return ListCheckpointFiles(dir);
  CheckpointListing out;
  for (const char* name : {kAdapterConfigFile, kAdapterWeightsFile}) {
    (PathExists(dir + "/" + name) ? out.present : out.missing).push_back(name);
  }
  return out;
}

const char* FirstRepoFile(RepoKind kind) {
  return kind == RepoKind::kAdapter ? kAdapterConfigFile : "config.json";
}

namespace {

// "<hex>" if `path` resolves to a blob named by a sha256 inside a "blobs" directory, else "".
std::string BlobSha256(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return "";
  const std::string real(buf);
  const size_t slash = real.find_last_of('/');
  const std::string name = real.substr(slash + 1);
  const std::string parent = real.substr(0, slash);
  const bool in_blobs = parent.size() >= 6 && parent.compare(parent.size() - 6, 6, "/blobs") == 0;
  return in_blobs && IsLowerHex(name, 64) ? name : "";
}

}  // namespace

Status ComputeDigests(const std::vector<std::string>& files, bool hash_large,
                      ResolvedModel* model) {
  for (const auto& f : files) {
    const std::string path = model->dir + "/" + f;
    std::string hex = BlobSha256(path);
    if (hex.empty()) {
      HG_ASSIGN_OR_RETURN(uint64_t size, FileSize(path));
      if (size > kSmallFileBytes && !hash_large) {
        model->undigested.push_back(f);
        continue;
      }
      HG_ASSIGN_OR_RETURN(hex, HashFile(path, DigestKind::kSha256));
    }
    model->digests[f] = "sha256:" + hex;
  }
  return OkStatus();
}

std::string RequiredFilesText(RepoKind kind) {
  if (kind == RepoKind::kAdapter) {
    return std::string(kAdapterConfigFile) + " and " + kAdapterWeightsFile + " (a PEFT LoRA adapter)";
  }
  std::string out;
  for (const auto& spec : kMetadataFiles) {
    out += std::string(spec.name) + (spec.required ? "" : " (if the repo has it)") + ", ";
  }
  return out + kSingleWeightsFile + " (or " + kIndexFile + " and every shard it lists)";
}

}  // namespace haloguard::hub
