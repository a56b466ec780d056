// `haloguard pull [REPO_ID] [--adapter]`: downloads (or finds in the Hugging Face cache) a
// HaloGuard/Qwen3.5 checkpoint (or a PEFT LoRA adapter), verified against the Hub's sha256, and
// prints the local directory to use as --model (--adapter).
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"
#include "cli/flags.h"
#include "hub/hub.h"

namespace haloguard::cli {
namespace {

void PrintSummary(const hub::ResolvedModel& m) {
  if (!m.requested_id.empty()) {
    std::fprintf(stderr, "%s -> %s\n", m.requested_id.c_str(), m.repo_id.c_str());
  }
  std::fprintf(stderr, "%s @ %s%s\n", m.repo_id.c_str(), m.revision.c_str(),
               m.from_cache_only ? " (from the local cache, the Hub was not asked)" : "");
  for (const auto& f : m.files) {
    auto it = m.digests.find(f);
    std::fprintf(stderr, "  %-36s %s\n", f.c_str(),
                 it == m.digests.end() ? "(not hashed)" : it->second.c_str());
  }
}

std::string ToJson(const hub::ResolvedModel& m) {
  nlohmann::json j = {{"dir", m.dir},
                      {"repo_id", m.repo_id},
                      {"requested_id", m.requested_id.empty() ? m.repo_id : m.requested_id},
                      {"revision", m.revision},
                      {"files", m.files},
                      {"digests", m.digests},
                      {"from_cache_only", m.from_cache_only}};
  return j.dump(2);
}

int RunPull(int argc, char** argv) {
  hub::PullOptions opts;
  bool quiet = false, json = false, adapter = false;
  FlagSet flags("pull", "[REPO_ID|ALIAS] [flags]   (default " + std::string(hub::kDefaultRepoId) +
                            "; " + hub::RepoAliasesHelp() + ")",
                /*use_env=*/true);
  flags.String("revision", &opts.revision, "branch, tag or commit to fetch");
  flags.Bool("offline", &opts.offline, "use only the local cache (also HF_HUB_OFFLINE=1)");
  flags.String("endpoint", &opts.endpoint, "Hub URL (default $HF_ENDPOINT or https://huggingface.co)");
  flags.String("token", &opts.token, "access token for gated repos (prefer $HF_TOKEN: flags show in ps)");
  flags.String("cache-dir", &opts.cache_dir,
               "cache root (default $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub)");
  flags.Bool("verify", &opts.verify_cache, "re-hash cached files; re-download any that are corrupt");
  flags.Bool("quiet", &quiet, "no progress output");
  flags.Bool("json", &json, "print the result (dir, revision, digests) as JSON");
  flags.Bool("adapter", &adapter,
             "REPO_ID is a PEFT LoRA adapter: fetch adapter_config.json + adapter_model.safetensors "
             "only (the base is not pulled; docs/LORA.md)");
  int code = 0;
  if (!ParseOrExit(flags, argc, argv, &code)) return code;
  if (flags.positional().size() > 1) {
    std::fprintf(stderr, "haloguard pull: expected at most one REPO_ID, got %zu\n%s",
                 flags.positional().size(), flags.UsageHint().c_str());
    return 2;
  }
  const std::string repo = flags.positional().empty() ? hub::kDefaultRepoId : flags.positional()[0];
  if (adapter && flags.positional().empty()) {
    std::fprintf(stderr, "haloguard pull: --adapter needs the adapter's REPO_ID\n%s", flags.UsageHint().c_str());
    return 2;
  }
  opts.progress = !quiet;
  if (adapter) opts.kind = hub::RepoKind::kAdapter;
  StatusOr<hub::ResolvedModel> m = hub::Pull(repo, opts);
  if (!m.ok()) return ReportError("pull", m.status(), 1);
  if (!quiet) PrintSummary(*m);
  // stdout carries only the result, so `--model "$(haloguard pull)"` works.
  std::printf("%s\n", json ? ToJson(*m).c_str() : m->dir.c_str());
  return 0;
}

}  // namespace

HG_REGISTER_COMMAND("pull", "download a model from the Hugging Face Hub into the local cache",
                    RunPull);

}  // namespace haloguard::cli
