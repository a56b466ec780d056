// Tests for Policy (thresholds, per-category overrides, actions, strict parsing with located
// errors) and the strict JSON helpers it shares with the attack rules.
#include "guard/policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include "guard/strict_json.h"

namespace haloguard::guard {
namespace {

Policy MustParse(std::string_view json, double default_threshold = 0.65) {
  StatusOr<Policy> p = Policy::Parse(json, default_threshold);
  HG_CHECK(p.ok()) << p.status().ToString();
  return *p;
}

void ExpectDecision(const Policy& p, double p_unsafe, std::string_view category, bool unsafe,
                    const std::string& action, double threshold) {
  const PolicyDecision d = p.Decide(p_unsafe, category);
  EXPECT_EQ(d.unsafe, unsafe) << p_unsafe << " " << category;
  EXPECT_EQ(d.action, action) << p_unsafe << " " << category;
  EXPECT_EQ(d.threshold, threshold) << p_unsafe << " " << category;
}

TEST(Policy, DefaultBlocksAtOrAboveTheThreshold) {
  const Policy p = Policy::Default();
  EXPECT_EQ(p.global_threshold(), 0.65);
  ExpectDecision(p, 0.65, "violence", true, "block", 0.65);  // >= : the boundary is unsafe
  ExpectDecision(p, std::nextafter(0.65, 0.0), "violence", false, "allow", 0.65);
  ExpectDecision(p, 1.0, "none", true, "block", 0.65);
  ExpectDecision(p, 0.0, "", false, "allow", 0.65);
  const Policy strict = Policy::Default(0.0);
  ExpectDecision(strict, 0.0, "general", true, "block", 0.0);
  EXPECT_TRUE(Policy::IsValidThreshold(1.0));
  EXPECT_FALSE(Policy::IsValidThreshold(1.0000001));
  EXPECT_FALSE(Policy::IsValidThreshold(std::nan("")));
}

TEST(Policy, NanFailsClosed) {
  const Policy p = MustParse(R"({"categories": {"violence": {"action": "review"}}})");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ExpectDecision(p, nan, "violence", true, "review", 0.65);
  ExpectDecision(p, nan, "none", true, "block", 0.65);
}

constexpr const char* kExample = R"({
  "version": 1,
  "description": "stricter on self-harm, lenient on politics",
  "threshold": 0.7,
  "safe_action": "allow",
  "unsafe_action": "review",
  "categories": {
    "self_harm_and_suicide": {"threshold": 0.4, "action": "review"},
    "politically_sensitive": {"threshold": 0.9, "action": "log"},
    "violence": {"action": "block"},
    "csam": {"threshold": 0}
  }
})";

TEST(Policy, PerCategoryThresholdsAndActions) {
  const Policy p = MustParse(kExample);
  EXPECT_EQ(p.global_threshold(), 0.7);
  ExpectDecision(p, 0.5, "self_harm_and_suicide", true, "review", 0.4);
  ExpectDecision(p, 0.3, "self_harm_and_suicide", false, "allow", 0.4);
  ExpectDecision(p, 0.8, "politically_sensitive", false, "allow", 0.9);
  ExpectDecision(p, 0.95, "politically_sensitive", true, "log", 0.9);
  ExpectDecision(p, 0.75, "violence", true, "block", 0.7);
  ExpectDecision(p, 0.6, "violence", false, "allow", 0.7);
  ExpectDecision(p, 0.8, "hate_speech", true, "review", 0.7);  // default unsafe action
  ExpectDecision(p, 0.0, "csam", true, "review", 0.0);
  ExpectDecision(p, 0.8, "not_a_category", true, "review", 0.7);
}

TEST(Policy, FileThresholdOverridesTheDefaultOnlyWhenPresent) {
  EXPECT_EQ(MustParse("{}", 0.5).global_threshold(), 0.5);
  EXPECT_EQ(MustParse(R"({"threshold": 0.3})", 0.5).global_threshold(), 0.3);
  EXPECT_EQ(MustParse(R"({"threshold": 1})", 0.5).global_threshold(), 1.0);
  ExpectDecision(MustParse(R"({"safe_action": "log"})"), 0.1, "general", false, "log", 0.65);
}

TEST(Policy, AcceptsEveryCategoryAndAction) {
  std::string json = R"({"categories": {)";
  for (size_t i = 0; i < kCategories.size(); ++i) {
    json += (i ? ", \"" : "\"") + std::string(kCategories[i]) + "\": {\"action\": \"" +
            std::string(kPolicyActions[i % kPolicyActions.size()]) + "\"}";
  }
  json += "}}";
  const Policy p = MustParse(json);
  for (size_t i = 0; i < kCategories.size(); ++i) {
    EXPECT_EQ(p.Decide(0.9, kCategories[i]).action, kPolicyActions[i % kPolicyActions.size()]);
  }
}

TEST(Policy, RejectsBadFilesNamingKeyAndPosition) {
  struct Case {
    std::string json;
    const char* message_part;
  };
  const Case cases[] = {
      {"{", "policy:1:2: invalid JSON; "},
      {"[]", "policy:1:1: (root): expected an object, got an array"},
      {R"({"treshold": 0.5})",
       "policy:1:14: treshold: unknown key; expected one of: version, description, threshold"},
      {R"({"threshold": 1.5})", "threshold: expected a number in [0, 1], got a number 1.5"},
      {R"({"threshold": -0.1})", "got a number -0.1"},
      {R"({"threshold": "0.5"})", "got a string \"0.5\""},
      {R"({"threshold": true})", "got a boolean true"},
      {R"({"threshold": null})", "got null"},
      {R"({"safe_action": "deny"})",
       "safe_action: expected one of allow|block|review|log, got a string \"deny\""},
      {R"({"unsafe_action": "BLOCK"})", "unsafe_action: expected one of allow|block|review|log"},
      {R"({"categories": []})", "categories: expected an object, got an array"},
      {R"({"categories": {"violense": {"action": "block"}}})",
       "categories.violense: unknown category \"violense\""},
      {R"({"categories": {"violence": {"thresh": 0.5}}})",
       "categories.violence.thresh: unknown key; expected one of: threshold, action"},
      {R"({"categories": {"violence": "block"}})",
       "categories.violence: expected an object, got a string \"block\""},
      {R"({"categories": {"violence": {"threshold": 2}}})",
       "categories.violence.threshold: expected a number in [0, 1], got a number 2"},
      {R"({"threshold": 0.5, "threshold": 0.6})", "threshold: key repeated in the same object"},
      {R"({"version": 2})", "version: expected 1, got a number 2"},
      {R"({"description": 5})", "description: expected a string, got a number 5"},
  };
  for (const Case& c : cases) {
    StatusOr<Policy> p = Policy::Parse(c.json);
    ASSERT_FALSE(p.ok()) << c.json;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find(c.message_part), std::string::npos)
        << "got: " << p.status().message() << "\nwant: " << c.message_part;
  }
  StatusOr<Policy> bad_default = Policy::Parse("{}", 1.5);
  ASSERT_FALSE(bad_default.ok());
  EXPECT_NE(bad_default.status().message().find("default threshold"), std::string::npos);
}

TEST(Policy, ErrorPositionsCountLinesAndCharacters) {
  const std::string json = "{\n  \"description\": \"é\",\n  \"categories\": {\n    \"violence\": "
                           "{\"action\": \"deny\"}\n  }\n}";
  StatusOr<Policy> p = Policy::Parse(json, 0.65, "my_policy.json");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("my_policy.json:4:28: categories.violence.action"),
            std::string::npos)
      << p.status().message();
}

TEST(Policy, LoadReadsAFile) {
  const std::string path = ::testing::TempDir() + "policy_test.json";
  std::ofstream(path) << kExample;
  StatusOr<Policy> p = Policy::Load(path);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->global_threshold(), 0.7);
  std::ofstream(path) << R"({"threshold": 7})";
  StatusOr<Policy> bad = Policy::Load(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path + ":1:15: threshold"), std::string::npos)
      << bad.status().message();
  std::remove(path.c_str());
  StatusOr<Policy> missing = Policy::Load(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("policy file " + path), std::string::npos);
}

// ---- strict_json helpers ----

using internal::JsonPath;
using internal::LineColumn;
using internal::LocateJsonValue;

TEST(StrictJson, LocatesValuesThroughObjectsArraysAndTrickyStrings) {
  const std::string doc = R"({"a": "x\"}]{[", "b": [1, {"c": [true, "tail"]}], "d": {}})";
  auto at = [&](const JsonPath& p) {
    const size_t i = LocateJsonValue(doc, p);
    return i == std::string::npos ? std::string("npos") : doc.substr(i, 6);
  };
  EXPECT_EQ(at(JsonPath().Key("a")), R"("x\"}])");
  EXPECT_EQ(at(JsonPath().Key("b").Index(1).Key("c").Index(1)), R"("tail")");
  EXPECT_EQ(at(JsonPath().Key("d")), "{}}");
  EXPECT_EQ(at(JsonPath().Key("b").Index(2)), "npos");
  EXPECT_EQ(at(JsonPath().Key("zz")), "npos");
  EXPECT_EQ(at(JsonPath().Index(0)), "npos");
  EXPECT_EQ(LocateJsonValue(R"({"a": 1, "a": 22})", JsonPath().Key("a")), 14u);  // the last "a"
  EXPECT_EQ(JsonPath().Key("rules").Index(3).Key("id").ToString(), "rules[3].id");
  EXPECT_EQ(JsonPath().ToString(), "(root)");
}

TEST(StrictJson, LineColumnCountsCharactersNotBytes) {
  EXPECT_EQ(LineColumn("abc", 0), "1:1");
  EXPECT_EQ(LineColumn("ab\ncd", 4), "2:2");
  EXPECT_EQ(LineColumn("éé x", 5), "1:4");
  EXPECT_EQ(LineColumn("ab", 99), "1:3");
}

TEST(StrictJson, DeepNestingNeitherCrashesNorPasses) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NE(LocateJsonValue(deep, JsonPath().Index(0)), std::string::npos);
  StatusOr<Policy> p = Policy::Parse(deep);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("expected an object"), std::string::npos);
  const std::string unclosed(100000, '{');
  EXPECT_FALSE(Policy::Parse(unclosed).ok());
}

}  // namespace
}  // namespace haloguard::guard
