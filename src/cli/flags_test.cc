// Tests for FlagSet: value forms, types and their errors, environment variables (overridden by
// the command line), positional arguments, RefusePositional, and --help.
#include "cli/flags.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace haloguard::cli {
namespace {

// Parses `args` (without the command name) into `f`.
Status ParseArgs(FlagSet& f, std::vector<std::string> args) {
  args.insert(args.begin(), "cmd");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return f.Parse(static_cast<int>(argv.size()), argv.data());
}

struct Values {
  std::string s = "dflt";
  int64_t i = 7;
  double d = 0.5;
  bool b = false;
  std::vector<std::string> list;
};

FlagSet Declare(Values& v, bool use_env = false) {
  FlagSet f("cmd", "[flags]", use_env);
  f.String("name", &v.s, "a string");
  f.Int("count", &v.i, "an integer");
  f.Double("ratio", &v.d, "a number");
  f.Bool("verbose", &v.b, "a switch");
  f.List("key", &v.list, "repeatable");
  return f;
}

TEST(Flags, ValueFormsAndTypes) {
  Values v;
  FlagSet f = Declare(v);
  ASSERT_TRUE(ParseArgs(f, {"--name", "x y", "--count=-3", "--ratio", "1e-2", "--verbose",
                            "--key", "a", "--key=b", "pos1", "--", "--not-a-flag"})
                  .ok());
  EXPECT_EQ(v.s, "x y");
  EXPECT_EQ(v.i, -3);
  EXPECT_DOUBLE_EQ(v.d, 0.01);
  EXPECT_TRUE(v.b);
  EXPECT_EQ(v.list, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.positional(), (std::vector<std::string>{"pos1", "--not-a-flag"}));
}

TEST(Flags, ErrorsNameTheFlagAndTheValue) {
  struct Case {
    std::vector<std::string> args;
    const char* message_part;
  };
  const Case cases[] = {
      {{"--count", "12abc"}, "--count: expected an integer, got '12abc'"},
      {{"--count", "99999999999999999999"}, "expected an integer"},
      {{"--ratio", "fast"}, "--ratio: expected a number, got 'fast'"},
      {{"--verbose=maybe"}, "--verbose: expected true/false, got 'maybe'"},
      {{"--nope", "1"}, "unknown flag --nope for 'cmd'"},
      {{"-x"}, "unknown option '-x'"},
      {{"--name"}, "flag --name expects a value"},
  };
  for (const Case& c : cases) {
    Values v;
    FlagSet f = Declare(v);
    const Status s = ParseArgs(f, c.args);
    ASSERT_FALSE(s.ok()) << c.args[0];
    EXPECT_NE(s.message().find(c.message_part), std::string::npos) << s.message();
  }
}

TEST(Flags, EnvironmentFillsFlagsAndTheCommandLineWins) {
  ASSERT_EQ(setenv("HALOGUARD_COUNT", "41", 1), 0);
  ASSERT_EQ(setenv("HALOGUARD_NAME", "from-env", 1), 0);
  Values v;
  FlagSet f = Declare(v, /*use_env=*/true);
  ASSERT_TRUE(ParseArgs(f, {"--name", "from-argv"}).ok());
  EXPECT_EQ(v.i, 41);
  EXPECT_EQ(v.s, "from-argv");
  ASSERT_EQ(setenv("HALOGUARD_COUNT", "many", 1), 0);
  Values w;
  FlagSet g = Declare(w, /*use_env=*/true);
  const Status s = ParseArgs(g, {});
  EXPECT_NE(s.message().find("environment variable HALOGUARD_COUNT"), std::string::npos) << s.message();
  unsetenv("HALOGUARD_COUNT");
  unsetenv("HALOGUARD_NAME");
  Values u;
  FlagSet h = Declare(u, /*use_env=*/false);  // without use_env the variables are ignored
  ASSERT_EQ(setenv("HALOGUARD_COUNT", "41", 1), 0);
  ASSERT_TRUE(ParseArgs(h, {}).ok());
  EXPECT_EQ(u.i, 7);
  unsetenv("HALOGUARD_COUNT");
}

TEST(Flags, RefusePositionalCatchesAForgottenFlagName) {
  Values v;
  FlagSet f = Declare(v);
  f.RefusePositional();
  const Status s = ParseArgs(f, {"/models/guard", "--count", "2"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unexpected argument '/models/guard'"), std::string::npos) << s.message();
  Values w;
  FlagSet g = Declare(w);
  g.RefusePositional();
  EXPECT_TRUE(ParseArgs(g, {"--count", "2"}).ok());
}

TEST(Flags, HelpListsFlagsWithDefaults) {
  Values v;
  FlagSet f = Declare(v, /*use_env=*/true);
  ASSERT_TRUE(ParseArgs(f, {"--help"}).ok());
  EXPECT_TRUE(f.help_requested());
  const std::string h = f.Help();
  EXPECT_NE(h.find("usage: haloguard cmd [flags]"), std::string::npos) << h;
  EXPECT_NE(h.find("--count VALUE\n      an integer (default: 7) [env HALOGUARD_COUNT]"),
            std::string::npos) << h;
  EXPECT_NE(h.find("--verbose\n"), std::string::npos) << h;
  EXPECT_EQ(h.find("(default: false)"), std::string::npos) << h;  // an off bool says nothing
  EXPECT_EQ(h.find("usage:", 1), std::string::npos) << h;          // one usage line
}

TEST(Flags, ParseErrorsPrintOneLineAndAPointerToHelp) {
  Values v;
  FlagSet f = Declare(v, /*use_env=*/false);
  const std::string hint = f.UsageHint();
  EXPECT_EQ(hint, "usage: haloguard cmd [flags]\n(run `haloguard cmd --help` for all flags)\n");
}

}  // namespace
}  // namespace haloguard::cli
