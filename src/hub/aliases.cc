// Repo aliases: the published HaloGuard repos under short names.
#include "hub/aliases.h"

#include <algorithm>
#include <cctype>

namespace haloguard::hub {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

const std::vector<RepoAlias>& RepoAliases() {
  static const std::vector<RepoAlias> kAliases = {
      {"haloguard-0.8b", kRepo08B},
      {"haloguard-4b", kRepo4B},
      {"astroware/HaloGuard-0.8B", kRepo08B},
  };
  return kAliases;
}

std::string ExpandRepoAlias(const std::string& name) {
  const std::string key = Lower(name);
  for (const RepoAlias& a : RepoAliases()) {
    if (Lower(a.alias) == key) return a.repo_id;
  }
  return name;
}

std::string RepoAliasesHelp() {
  std::string out = "aliases:";
  for (const RepoAlias& a : RepoAliases()) {
    out += std::string(out.back() == ':' ? " " : ", ") + a.alias + " = " + a.repo_id;
  }
  return out;
}

}  // namespace haloguard::hub
