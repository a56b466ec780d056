// Guard prompt files: the card's prompt parses to its 29 categories, the category block rules
// (missing, empty, bad or repeated labels are refused with the line named), the trailing-newline
// rule of --guard-prompt files, and policies that name a custom prompt's categories.
#include "guard/prompt.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "guard/policy.h"
#include "guard/result.h"

namespace haloguard::guard {
namespace {

std::string WithBlock(const std::string& block) {
  return "# Task\nbe careful\n<BEGIN UNSAFE CONTENT CATEGORIES>\n" + block +
         "<END UNSAFE CONTENT CATEGORIES>\nanswer";
}

TEST(GuardPrompt, TheCardPromptHasTheCard29CategoriesInOrder) {
  const GuardPrompt& p = DefaultGuardPrompt();
  EXPECT_EQ(p.system_prompt, GuardSystemPrompt());
  ASSERT_EQ(p.categories.size(), kCategories.size());
  for (size_t i = 0; i < kCategories.size(); ++i) EXPECT_EQ(p.categories[i], kCategories[i]);
}

TEST(GuardPrompt, LabelsAreTheBlockLinesTrimmedWithBlankLinesSkipped) {
  auto p = ParseGuardPrompt(WithBlock("  violence \n\nmy-team_label2\n"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->categories, (std::vector<std::string>{"violence", "my-team_label2"}));
  EXPECT_EQ(p->system_prompt, WithBlock("  violence \n\nmy-team_label2\n"));  // kept verbatim
}

TEST(GuardPrompt, BadBlocksAreRefusedNamingTheLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"no markers at all", "expected a category block"},
      {"<BEGIN UNSAFE CONTENT CATEGORIES>\nviolence\n", "no end marker"},
      {"<END UNSAFE CONTENT CATEGORIES>\n", "before"},
      {WithBlock(""), "at least one category label"},
      {WithBlock("\n  \n"), "at least one category label"},
      {WithBlock("two words\n"), "f.txt:4: expected a category label"},
      {WithBlock("none\n"), "not \"none\""},
      {WithBlock("violence\nviolence\n"), "f.txt:5: category \"violence\" is listed twice"},
      {WithBlock("a\n") + "\n<BEGIN UNSAFE CONTENT CATEGORIES>", "once, got it again"},
      {std::string("bad \xff utf8 ") + WithBlock("a\n"), "f.txt"},
  };
  for (const auto& [text, want] : cases) {
    auto p = ParseGuardPrompt(text, "f.txt");
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(want), std::string::npos) << p.status().ToString();
  }
}

TEST(GuardPrompt, AFileDropsOneTrailingNewlineSoTheCardPromptIsByteExact) {
  const std::string dir = ::testing::TempDir();
  for (const char* ending : {"", "\n", "\r\n"}) {
    const std::string path = dir + "/card_prompt.txt";
    std::ofstream(path, std::ios::binary) << GuardSystemPrompt() << ending;
    auto p = LoadGuardPrompt(path);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->system_prompt, GuardSystemPrompt()) << "ending " << std::string(ending).size();
  }
  std::ofstream(dir + "/two.txt", std::ios::binary) << GuardSystemPrompt() << "\n\n";
  auto two = LoadGuardPrompt(dir + "/two.txt");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->system_prompt, std::string(GuardSystemPrompt()) + "\n");  // only one is dropped
  auto missing = LoadGuardPrompt(dir + "/nope.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("guard prompt file"), std::string::npos);
}

TEST(GuardPrompt, RenderingUsesTheGivenSystemPrompt) {
  auto p = ParseGuardPrompt(WithBlock("x_1\n"));
  ASSERT_TRUE(p.ok());
  auto s = RenderGuardPrompt("hi", *p);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_NE(s->find("<|im_start|>system\n" + WithBlock("x_1\n") + "<|im_end|>"), std::string::npos)
      << *s;
  EXPECT_EQ(s->substr(s->size() - 8), "Safety: ");
}

TEST(GuardPrompt, PoliciesNameTheLoadedPromptsCategories) {
  const std::string json = R"({"categories": {"crypto_scams": {"threshold": 0.2, "action": "review"}}})";
  auto card = Policy::Parse(json);
  ASSERT_FALSE(card.ok());  // not one of the card's 29
  EXPECT_NE(card.status().message().find("crypto_scams"), std::string::npos);
  const Policy::Categories custom = {"violence", "crypto_scams"};
  auto p = Policy::Parse(json, 0.65, "policy", custom);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const PolicyDecision d = p->Decide(0.3, "crypto_scams");
  EXPECT_TRUE(d.unsafe);
  EXPECT_EQ(d.action, "review");
  EXPECT_FALSE(p->Decide(0.3, "violence").unsafe);
  EXPECT_FALSE(Policy::Parse(R"({"categories": {"csam": {}}})", 0.65, "policy", custom).ok());
}

}  // namespace
}  // namespace haloguard::guard
