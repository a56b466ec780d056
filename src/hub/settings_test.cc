// Settings resolution (environment precedence as in huggingface_hub's constants.py) and the
// validation of repo ids, revisions and file names.
#include "hub/settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "core/mapped_file.h"

namespace haloguard::hub {
namespace {

// A fake environment: tests never mutate the process environment here.
EnvLookup FakeEnv(const std::map<std::string, std::string>& vars) {
  auto copy = std::make_shared<std::map<std::string, std::string>>(vars);
  return [copy](const char* name) -> const char* {
    auto it = copy->find(name);
    return it == copy->end() ? nullptr : it->second.c_str();
  };
}

HubSettings Resolve(const std::map<std::string, std::string>& vars, PullOptions o = {}) {
  StatusOr<HubSettings> s = ResolveSettings(o, FakeEnv(vars));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : HubSettings{};
}

TEST(Settings, DefaultsFollowHuggingfaceHub) {
  HubSettings s = Resolve({{"HOME", "/home/u"}});
  EXPECT_EQ(s.endpoint, "https://huggingface.co");
  EXPECT_EQ(s.cache_dir, "/home/u/.cache/huggingface/hub");
  EXPECT_EQ(s.token, "");
  EXPECT_FALSE(s.offline);
}

TEST(Settings, CacheDirPrecedence) {
  EXPECT_EQ(Resolve({{"HOME", "/h"}, {"XDG_CACHE_HOME", "/x"}}).cache_dir, "/x/huggingface/hub");
  EXPECT_EQ(Resolve({{"HOME", "/h"}, {"XDG_CACHE_HOME", "/x"}, {"HF_HOME", "/hf"}}).cache_dir,
            "/hf/hub");
  EXPECT_EQ(Resolve({{"HF_HOME", "/hf"}, {"HUGGINGFACE_HUB_CACHE", "/legacy"}}).cache_dir,
            "/legacy");
  EXPECT_EQ(Resolve({{"HUGGINGFACE_HUB_CACHE", "/legacy"}, {"HF_HUB_CACHE", "/new/"}}).cache_dir,
            "/new");
  EXPECT_EQ(Resolve({{"HOME", "/h"}, {"HF_HUB_CACHE", "~/c"}}).cache_dir, "/h/c");
  PullOptions o;
  o.cache_dir = "/opt";
  EXPECT_EQ(Resolve({{"HF_HUB_CACHE", "/new"}}, o).cache_dir, "/opt");
  StatusOr<HubSettings> none = ResolveSettings({}, FakeEnv({}));
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
}

TEST(Settings, EndpointAndOffline) {
  EXPECT_EQ(Resolve({{"HOME", "/h"}, {"HF_ENDPOINT", "https://mirror.example/"}}).endpoint,
            "https://mirror.example");
  PullOptions o;
  o.endpoint = "http://127.0.0.1:9";
  EXPECT_EQ(Resolve({{"HOME", "/h"}, {"HF_ENDPOINT", "https://m"}}, o).endpoint,
            "http://127.0.0.1:9");
  EXPECT_EQ(ResolveSettings({}, FakeEnv({{"HOME", "/h"}, {"HF_ENDPOINT", "ftp://x"}})).status().code(),
            StatusCode::kInvalidArgument);
  for (const char* yes : {"1", "ON", "yes", "True"}) {
    EXPECT_TRUE(Resolve({{"HOME", "/h"}, {"HF_HUB_OFFLINE", yes}}).offline) << yes;
  }
  for (const char* no : {"0", "", "off", "false"}) {
    EXPECT_FALSE(Resolve({{"HOME", "/h"}, {"HF_HUB_OFFLINE", no}}).offline) << no;
  }
  EXPECT_TRUE(Resolve({{"HOME", "/h"}, {"TRANSFORMERS_OFFLINE", "1"}}).offline);
}

TEST(Settings, TokenPrecedenceAndTokenFile) {
  char tmpl[] = "/tmp/hg_settings_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string home = tmpl;
  ASSERT_TRUE(WriteFileAtomic(home + "/token", "hf_from_file\n").ok());
  EXPECT_EQ(Resolve({{"HF_HOME", home}}).token, "hf_from_file");
  EXPECT_EQ(Resolve({{"HF_HOME", home}, {"HF_TOKEN_PATH", home + "/none"}}).token, "");
  EXPECT_EQ(Resolve({{"HF_HOME", home}, {"HUGGING_FACE_HUB_TOKEN", "hf_legacy"}}).token,
            "hf_legacy");
  EXPECT_EQ(Resolve({{"HF_HOME", home}, {"HF_TOKEN", " hf_env "}}).token, "hf_env");
  PullOptions o;
  o.token = "hf_flag";
  EXPECT_EQ(Resolve({{"HF_HOME", home}, {"HF_TOKEN", "hf_env"}}, o).token, "hf_flag");
  std::filesystem::remove_all(home);
}

TEST(Validate, RepoIds) {
  for (const char* ok : {"astroware/HaloGuard-0.8B", "Qwen/Qwen3.5-4B", "a/b", "u_1/m.v2"}) {
    EXPECT_TRUE(ValidateRepoId(ok).ok()) << ok;
  }
  for (const char* bad : {"", "gpt2", "a/b/c", "a//b", "/a", "a/", "a--b/c", "a/b..c", "a/b.git",
                          "-a/b", "a/b-", "a/b c", "a/b?x", "../x"}) {
    EXPECT_EQ(ValidateRepoId(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ValidateRepoId("a/" + std::string(95, 'b')).ok());
}

TEST(Validate, RevisionsAndFileNames) {
  for (const char* ok : {"main", "v1.0", "refs/pr/1", "0123456789abcdef0123456789abcdef01234567"}) {
    EXPECT_TRUE(ValidateRevision(ok).ok()) << ok;
  }
  for (const char* bad : {"", "../x", "/main", "a b", "a\\b", "main/"}) {
    EXPECT_FALSE(ValidateRevision(bad).ok()) << bad;
  }
  EXPECT_TRUE(ValidateFileName("model-00001-of-00002.safetensors").ok());
  for (const char* bad : {"", ".hidden", "../x", "a/b", "a\\b", "x\ny"}) {
    EXPECT_FALSE(ValidateFileName(bad).ok()) << bad;
  }
}

TEST(Validate, CommitHashAndFolderName) {
  EXPECT_TRUE(IsCommitHash("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(IsCommitHash("0123456789ABCDEF0123456789abcdef01234567"));
  EXPECT_FALSE(IsCommitHash("main"));
  EXPECT_EQ(RepoFolderName("astroware/HaloGuard-0.8B"), "models--astroware--HaloGuard-0.8B");
}

}  // namespace
}  // namespace haloguard::hub
