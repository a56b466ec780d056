// Repo aliases and the default repo id against the published names (collection
// astroware/haloguard-10 on the Hugging Face Hub).
#include "hub/aliases.h"

#include <gtest/gtest.h>

#include "hub/settings.h"

namespace haloguard::hub {
namespace {

TEST(AliasesTest, DefaultIsThePublished08BRepo) {
  EXPECT_STREQ(kDefaultRepoId, "astroware/HaloGuard1-Gen-0.8B");
  EXPECT_STREQ(kRepo4B, "astroware/HaloGuard1-Gen-4B");
  EXPECT_TRUE(ValidateRepoId(kDefaultRepoId).ok());
  EXPECT_TRUE(ValidateRepoId(kRepo4B).ok());
}

TEST(AliasesTest, ShortNamesAndTheCardIdExpand) {
  EXPECT_EQ(ExpandRepoAlias("haloguard-0.8b"), "astroware/HaloGuard1-Gen-0.8B");
  EXPECT_EQ(ExpandRepoAlias("HaloGuard-0.8B"), "astroware/HaloGuard1-Gen-0.8B");  // any case
  EXPECT_EQ(ExpandRepoAlias("haloguard-4b"), "astroware/HaloGuard1-Gen-4B");
  EXPECT_EQ(ExpandRepoAlias("astroware/HaloGuard-0.8B"), "astroware/HaloGuard1-Gen-0.8B");
}

TEST(AliasesTest, OtherNamesAreUnchanged) {
  for (const char* s : {"astroware/HaloGuard1-Gen-0.8B", "Qwen/Qwen3.5-0.8B", "haloguard-2b",
                        "./haloguard-0.8b", ""}) {
    EXPECT_EQ(ExpandRepoAlias(s), s);
  }
}

TEST(AliasesTest, EveryAliasTargetIsPublishedAndListedInHelp) {
  const std::string help = RepoAliasesHelp();
  for (const RepoAlias& a : RepoAliases()) {
    EXPECT_TRUE(std::string(a.repo_id) == kRepo08B || std::string(a.repo_id) == kRepo4B) << a.alias;
    EXPECT_NE(help.find(a.alias), std::string::npos) << help;
  }
}

}  // namespace
}  // namespace haloguard::hub
