// The published HaloGuard checkpoints by name: the default repo, short aliases, and the model
// card's snippet id (which has no public record) mapped to the repos that exist on the Hub.
#pragma once

#include <string>
#include <vector>

namespace haloguard::hub {

// Collection astroware/haloguard-10 on the Hugging Face Hub.
inline constexpr const char* kRepo08B = "astroware/HaloGuard1-Gen-0.8B";
inline constexpr const char* kRepo4B = "astroware/HaloGuard1-Gen-4B";
// The repository `pull` fetches and `--model` loads when none is named.
inline constexpr const char* kDefaultRepoId = kRepo08B;

struct RepoAlias {
  const char* alias;    // what a user may type
  const char* repo_id;  // the published repo it stands for
};

// Every alias, in the order --help lists them: haloguard-0.8b, haloguard-4b, and the card's
// `astroware/HaloGuard-0.8B` (kept so the card's snippet works).
const std::vector<RepoAlias>& RepoAliases();

// The repo id `name` stands for: an alias (matched case-insensitively) gives its repo, anything
// else is returned unchanged. Pure; never touches the network or the disk.
std::string ExpandRepoAlias(const std::string& name);

// One line for --help: "aliases: haloguard-0.8b = astroware/..., ...".
std::string RepoAliasesHelp();

}  // namespace haloguard::hub
