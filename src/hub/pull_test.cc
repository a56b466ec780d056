// Pull against a loopback mock of the Hub: full download, cache reuse, resume, corruption,
// auth, missing files, offline and unreachable-network paths. No test touches the internet.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "core/mapped_file.h"
#include "hub/hub.h"
#include "hub/testing/pull_fixture.h"

namespace haloguard::hub::testing {
namespace {

namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  StatusOr<std::string> s = ReadFileToString(path);
  return s.ok() ? *s : "<unreadable: " + s.status().message() + ">";
}

std::string Link(const std::string& path) {
  std::error_code ec;
  return fs::read_symlink(path, ec).string();
}

TEST_F(PullTest, FullDownloadLaysOutTheCacheLikeHuggingfaceHub) {
  StatusOr<ResolvedModel> m = Pull(kRepo, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->dir, RepoDir() + "/snapshots/" + kCommit);
  EXPECT_EQ(m->repo_id, kRepo);
  EXPECT_EQ(m->revision, kCommit);
  EXPECT_FALSE(m->from_cache_only);
  EXPECT_EQ(Read(RepoDir() + "/refs/main"), kCommit);  // no trailing newline, as Python writes it
  const std::string lfs_sha = MockHub::Sha256Hex(File("model.safetensors"));
  EXPECT_EQ(Link(m->dir + "/model.safetensors"), "../../blobs/" + lfs_sha);
  EXPECT_EQ(Link(m->dir + "/config.json"),
            "../../blobs/" + MockHub::GitBlobSha1Hex(File("config.json")));
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json",
                        "generation_config.json", "model.safetensors"}) {
    EXPECT_EQ(Read(m->dir + "/" + f), File(f)) << f;
    EXPECT_EQ(m->digests.at(f), "sha256:" + MockHub::Sha256Hex(File(f))) << f;
  }
  EXPECT_EQ(m->files.size(), 5u);
  EXPECT_TRUE(m->undigested.empty());
  EXPECT_FALSE(fs::exists(RepoDir() + "/blobs/" + lfs_sha + ".incomplete"));
  // chat_template.jinja and the index are absent: remembered like huggingface_hub does.
  EXPECT_TRUE(fs::exists(RepoDir() + "/.no_exist/" + kCommit + "/chat_template.jinja"));
  EXPECT_TRUE(fs::exists(RepoDir() + "/.no_exist/" + kCommit + "/model.safetensors.index.json"));
  // The LFS bytes came from the CDN origin without the token; the resolve URL got HEADs only.
  EXPECT_EQ(hub_->Count("GET", "/cdn/" + lfs_sha), 1);
  EXPECT_EQ(hub_->Count("GET", "/resolve/main/model.safetensors"), 0);
}

TEST_F(PullTest, SecondPullReusesTheCacheWithOneRequest) {
  ASSERT_TRUE(Pull(kRepo, Options()).ok());
  hub_->ClearRequests();
  StatusOr<ResolvedModel> again = Pull(kRepo, Options());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(hub_->requests().size(), 1u);  // HEAD config.json to resolve "main"
  EXPECT_EQ(hub_->requests()[0].method, "HEAD");
  // Pinning the commit needs no request at all.
  hub_->ClearRequests();
  PullOptions pinned = Options();
  pinned.revision = kCommit;
  ASSERT_TRUE(Pull(kRepo, pinned).ok());
  EXPECT_TRUE(hub_->requests().empty());
}

TEST_F(PullTest, ShardedCheckpointFetchesEveryShardInTheIndex) {
  MockRepo repo = TinyRepo();
  repo.files.erase("model.safetensors");
  repo.files["model-00001-of-00002.safetensors"] = {RandomBytes(50000, 1), true};
  repo.files["model-00002-of-00002.safetensors"] = {RandomBytes(40000, 2), true};
  repo.files["model.safetensors.index.json"] = {
      R"({"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors",
          "b": "model-00002-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"}})",
      false};
  hub_->AddRepo("o/sharded", repo);
  StatusOr<ResolvedModel> m = Pull("o/sharded", Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->files.size(), 7u);
  EXPECT_EQ(Read(m->dir + "/model-00002-of-00002.safetensors"),
            repo.files["model-00002-of-00002.safetensors"].content);
  for (const auto& r : hub_->requests()) {
    EXPECT_FALSE(r.path.ends_with("/model.safetensors")) << "single-file weights asked for";
  }
}

TEST_F(PullTest, InterruptedTransferResumesWithRange) {
  hub_->CutNextGets("model.safetensors", 1, 100000);
  StatusOr<ResolvedModel> m = Pull(kRepo, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Read(m->dir + "/model.safetensors"), File("model.safetensors"));
  std::vector<std::string> ranges;
  for (const auto& r : hub_->requests()) {
    if (r.path.rfind("/cdn/", 0) == 0) ranges.push_back(r.range);
  }
  EXPECT_EQ(ranges, (std::vector<std::string>{"", "bytes=100000-"}));
}

TEST_F(PullTest, LeftoverIncompleteFileFromAnotherRunIsResumed) {
  const std::string& bytes = File("model.safetensors");
  const std::string sha = MockHub::Sha256Hex(bytes);
  fs::create_directories(RepoDir() + "/blobs");
  ASSERT_TRUE(WriteFileAtomic(RepoDir() + "/blobs/" + sha + ".incomplete", bytes.substr(0, 123456)).ok());
  StatusOr<ResolvedModel> m = Pull(kRepo, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Read(m->dir + "/model.safetensors"), bytes);
  EXPECT_EQ(hub_->Count("GET", "/cdn/"), 1);
  EXPECT_EQ(hub_->requests().back().range, "bytes=123456-");
}

TEST_F(PullTest, CorruptedBytesAreDetectedBySha256AndRefetched) {
  hub_->CorruptNextGets("model.safetensors", 1);
  StatusOr<ResolvedModel> m = Pull(kRepo, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Read(m->dir + "/model.safetensors"), File("model.safetensors"));
  EXPECT_EQ(hub_->Count("GET", "/cdn/"), 2);
}

TEST_F(PullTest, CorruptedSmallFileIsDetectedByGitSha1) {
  hub_->CorruptNextGets("tokenizer.json", 1);
  StatusOr<ResolvedModel> m = Pull(kRepo, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Read(m->dir + "/tokenizer.json"), File("tokenizer.json"));
  EXPECT_EQ(hub_->Count("GET", "/resolve/" + std::string(kCommit) + "/tokenizer.json"), 2);
}

TEST_F(PullTest, CorruptedPartialFileIsDiscardedAndRefetched) {
  std::string bad = File("model.safetensors").substr(0, 5000);
  bad[10] ^= 1;
  const std::string sha = MockHub::Sha256Hex(File("model.safetensors"));
  fs::create_directories(RepoDir() + "/blobs");
  ASSERT_TRUE(WriteFileAtomic(RepoDir() + "/blobs/" + sha + ".incomplete", bad).ok());
  StatusOr<ResolvedModel> m = Pull(kRepo, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Read(m->dir + "/model.safetensors"), File("model.safetensors"));
  EXPECT_EQ(hub_->requests().back().range, "");  // the second round starts from byte 0
}

TEST_F(PullTest, PersistentCorruptionIsDataLossAndLeavesNoBlob) {
  hub_->CorruptNextGets("model.safetensors", 100);
  StatusOr<ResolvedModel> m = Pull(kRepo, Options());
  ASSERT_EQ(m.status().code(), StatusCode::kDataLoss) << m.status().ToString();
  EXPECT_NE(m.status().message().find("sha256 mismatch"), std::string::npos);
  const std::string sha = MockHub::Sha256Hex(File("model.safetensors"));
  EXPECT_FALSE(fs::exists(RepoDir() + "/blobs/" + sha));
  EXPECT_FALSE(fs::exists(RepoDir() + "/blobs/" + sha + ".incomplete"));
  EXPECT_FALSE(fs::exists(RepoDir() + "/snapshots/" + kCommit + "/model.safetensors"));
}

TEST_F(PullTest, ServerIgnoringRangeRestartsFromZero) {
  const std::string& bytes = File("model.safetensors");
  const std::string sha = MockHub::Sha256Hex(bytes);
  fs::create_directories(RepoDir() + "/blobs");
  ASSERT_TRUE(WriteFileAtomic(RepoDir() + "/blobs/" + sha + ".incomplete", bytes.substr(0, 777)).ok());
  hub_->IgnoreRangeNextGets("model.safetensors", 1);
  StatusOr<ResolvedModel> m = Pull(kRepo, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Read(m->dir + "/model.safetensors"), bytes);
  EXPECT_EQ(hub_->Count("GET", "/cdn/"), 1);
}

TEST_F(PullTest, InterruptedTransferNeverAppearsUnderTheFinalName) {
  PullOptions o = Options();
  o.max_retries = 0;
  hub_->CutNextGets("model.safetensors", 1, 4096);
  hub_->FailNextGets("model.safetensors", 1);  // the resume attempt fails too: give up
  StatusOr<ResolvedModel> m = Pull(kRepo, o);
  ASSERT_EQ(m.status().code(), StatusCode::kUnavailable) << m.status().ToString();
  const std::string sha = MockHub::Sha256Hex(File("model.safetensors"));
  EXPECT_FALSE(fs::exists(RepoDir() + "/blobs/" + sha));
  EXPECT_FALSE(fs::exists(RepoDir() + "/snapshots/" + kCommit + "/model.safetensors"));
  EXPECT_EQ(fs::file_size(RepoDir() + "/blobs/" + sha + ".incomplete"), 4096u);
}

TEST_F(PullTest, TransientServerErrorsAreRetried) {
  hub_->FailNextRequests(2);
  StatusOr<ResolvedModel> m = Pull(kRepo, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(hub_->requests()[2].path, hub_->requests()[0].path);
}

TEST_F(PullTest, GatedRepoNeedsToken) {
  MockRepo gated = TinyRepo();
  gated.gated = true;
  hub_->AddRepo("o/gated", gated);
  StatusOr<ResolvedModel> anon = Pull("o/gated", Options());
  ASSERT_EQ(anon.status().code(), StatusCode::kUnauthenticated) << anon.status().ToString();
  EXPECT_NE(anon.status().message().find("HF_TOKEN"), std::string::npos);
  PullOptions wrong = Options();
  wrong.token = "hf_wrong";
  EXPECT_EQ(Pull("o/gated", wrong).status().code(), StatusCode::kPermissionDenied);
  PullOptions ok = Options();
  ok.token = gated.token;
  hub_->ClearRequests();
  StatusOr<ResolvedModel> m = Pull("o/gated", ok);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  for (const auto& r : hub_->requests()) {
    // The token goes to the Hub origin only, never to the CDN (another origin).
    const bool cdn = r.path.rfind("/cdn/", 0) == 0;
    EXPECT_EQ(r.authorization, cdn ? "" : "Bearer " + gated.token) << r.path;
  }
  EXPECT_EQ(Read(m->dir + "/model.safetensors"), File("model.safetensors"));
}

TEST_F(PullTest, MissingFileRepoAndRevisionAreNotFound) {
  MockRepo no_tok = TinyRepo();
  no_tok.files.erase("tokenizer.json");
  hub_->AddRepo("o/no-tokenizer", no_tok);
  StatusOr<ResolvedModel> m = Pull("o/no-tokenizer", Options());
  ASSERT_EQ(m.status().code(), StatusCode::kNotFound) << m.status().ToString();
  EXPECT_NE(m.status().message().find("tokenizer.json"), std::string::npos);
  PullOptions bad_rev = Options();
  bad_rev.revision = "v9";
  StatusOr<ResolvedModel> r = Pull(kRepo, bad_rev);
  ASSERT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
  EXPECT_NE(r.status().message().find("revision 'v9'"), std::string::npos);
  // Like huggingface.co, an unknown repo answers 401 to anonymous callers.
  StatusOr<ResolvedModel> nr = Pull("o/nope", Options());
  EXPECT_EQ(nr.status().code(), StatusCode::kUnauthenticated) << nr.status().ToString();
}

TEST_F(PullTest, RenamedRepoFollowsRelativeRedirect) {
  hub_->AddRename("old/name", kRepo);
  StatusOr<ResolvedModel> m = Pull("old/name", Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Read(m->dir + "/model.safetensors"), File("model.safetensors"));
  // Reported and cached under the name the Hub resolved to.
  EXPECT_EQ(m->repo_id, kRepo);
  EXPECT_EQ(m->requested_id, "old/name");
  EXPECT_EQ(m->dir.rfind(RepoDir(), 0), 0u) << m->dir;
  EXPECT_EQ(m->revision, kCommit);
}

TEST_F(PullTest, RenameLoopIsAnErrorNotAHang) {
  hub_->AddRename("a/one", "a/two");
  hub_->AddRename("a/two", "a/one");
  StatusOr<ResolvedModel> m = Pull("a/one", Options());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("redirect"), std::string::npos) << m.status().ToString();
}

TEST_F(PullTest, AliasesPullThePublishedRepos) {
  for (const char* published : {kRepo08B, kRepo4B}) hub_->AddRepo(published, TinyRepo());
  const std::pair<const char*, const char*> cases[] = {
      {"haloguard-0.8b", kRepo08B}, {"haloguard-4b", kRepo4B},
      {"astroware/HaloGuard-0.8B", kRepo08B}, {kDefaultRepoId, kRepo08B}};
  for (const auto& [alias, repo] : cases) {
    StatusOr<ResolvedModel> m = Pull(alias, Options());
    ASSERT_TRUE(m.ok()) << alias << ": " << m.status().ToString();
    EXPECT_EQ(m->repo_id, repo);
    EXPECT_EQ(m->requested_id, std::string(alias) == repo ? "" : alias);
    EXPECT_GT(hub_->Count("HEAD", std::string("/") + repo + "/resolve/main/config.json"), 0) << alias;
  }
}

TEST_F(PullTest, OfflineUsesTheCacheAndMakesNoRequest) {
  ASSERT_TRUE(Pull(kRepo, Options()).ok());
  hub_->ClearRequests();
  PullOptions o = Options();
  o.offline = true;
  StatusOr<ResolvedModel> m = Pull(kRepo, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->from_cache_only);
  EXPECT_EQ(m->revision, kCommit);
  EXPECT_EQ(m->digests.at("model.safetensors"),
            "sha256:" + MockHub::Sha256Hex(File("model.safetensors")));
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  StatusOr<ResolvedModel> env = Pull(kRepo, Options());
  ::unsetenv("HF_HUB_OFFLINE");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_TRUE(hub_->requests().empty());
}

TEST_F(PullTest, OfflineWithoutCacheSaysWhatToDownloadAndWhere) {
  PullOptions o = Options();
  o.offline = true;
  StatusOr<ResolvedModel> m = Pull(kRepo, o);
  ASSERT_EQ(m.status().code(), StatusCode::kNotFound);
  const std::string msg = m.status().message();
  const std::vector<std::string> needles = {
      "offline", std::string("haloguard pull ") + kRepo, RepoDir(), "config.json",
      "model.safetensors.index.json", hub_->endpoint() + "/" + kRepo + "/tree/main", "--model"};
  for (const std::string& needle : needles) {
    EXPECT_NE(msg.find(needle), std::string::npos) << "missing '" << needle << "' in:\n" << msg;
  }
  EXPECT_TRUE(hub_->requests().empty());
}

TEST_F(PullTest, UnreachableHubFallsBackToTheCache) {
  ASSERT_TRUE(Pull(kRepo, Options()).ok());
  PullOptions down = Options();
  down.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  down.max_retries = 1;
  StatusOr<ResolvedModel> m = Pull(kRepo, down);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->from_cache_only);
  down.cache_dir = tmp_ + "/empty-cache";
  StatusOr<ResolvedModel> none = Pull(kRepo, down);
  ASSERT_EQ(none.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(none.status().message().find("To fix it"), std::string::npos);
}

TEST_F(PullTest, HfEndpointAndHfHubCacheComeFromTheEnvironment) {
  PullOptions o = Options();
  o.endpoint.clear();
  o.cache_dir.clear();
  ::setenv("HF_ENDPOINT", hub_->endpoint().c_str(), 1);
  ::setenv("HF_HUB_CACHE", (tmp_ + "/env-cache").c_str(), 1);
  StatusOr<ResolvedModel> m = Pull(kRepo, o);
  ::unsetenv("HF_ENDPOINT");
  ::unsetenv("HF_HUB_CACHE");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->dir.rfind(tmp_ + "/env-cache/models--astroware--HaloGuard-Tiny/", 0), 0u);
  EXPECT_GT(hub_->requests().size(), 0u);
}

TEST_F(PullTest, ProxyFromTheEnvironmentIsUsed) {
  // The Hub's host does not resolve; only the proxy (the mock, via http_proxy) can reach it.
  PullOptions o = Options();
  o.endpoint = "http://hub.invalid";
  o.max_retries = 0;
  ::setenv("http_proxy", hub_->endpoint().c_str(), 1);
  ::unsetenv("no_proxy");
  ::unsetenv("NO_PROXY");
  StatusOr<ResolvedModel> m = Pull(kRepo, o);
  ::unsetenv("http_proxy");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(hub_->requests().front().proxied_host, "hub.invalid");
  EXPECT_EQ(Read(m->dir + "/model.safetensors"), File("model.safetensors"));
}

TEST_F(PullTest, CacheWrittenByPythonHubIsReused) {
  // The layout huggingface_hub's file_download.py writes: content-addressed blobs, relative
  // symlinks, refs/main. Built by hand (no Python hub on this machine), then read offline.
  const std::string snap = RepoDir() + "/snapshots/" + kCommit;
  fs::create_directories(RepoDir() + "/blobs");
  fs::create_directories(snap);
  fs::create_directories(RepoDir() + "/refs");
  ASSERT_TRUE(WriteFileAtomic(RepoDir() + "/refs/main", kCommit).ok());
  for (const auto& [name, f] : files_) {
    const std::string etag = f.lfs ? MockHub::Sha256Hex(f.content) : MockHub::GitBlobSha1Hex(f.content);
    ASSERT_TRUE(WriteFileAtomic(RepoDir() + "/blobs/" + etag, f.content).ok());
    fs::create_symlink("../../blobs/" + etag, snap + "/" + name);
  }
  PullOptions o = Options();
  o.offline = true;
  StatusOr<ResolvedModel> m = Pull(kRepo, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->dir, snap);
  EXPECT_EQ(m->digests.at("tokenizer.json"), "sha256:" + MockHub::Sha256Hex(File("tokenizer.json")));
  // Online, the same cache costs one HEAD and no download.
  ASSERT_TRUE(Pull(kRepo, Options()).ok());
  EXPECT_EQ(hub_->Count("GET", "/"), 0);
}

TEST_F(PullTest, VerifyCacheReplacesACorruptedBlob) {
  ASSERT_TRUE(Pull(kRepo, Options()).ok());
  const std::string blob = RepoDir() + "/blobs/" + MockHub::Sha256Hex(File("model.safetensors"));
  ASSERT_TRUE(WriteFileAtomic(blob, "garbage").ok());
  PullOptions o = Options();
  o.verify_cache = true;
  StatusOr<ResolvedModel> m = Pull(kRepo, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Read(blob), File("model.safetensors"));
}

TEST_F(PullTest, ConcurrentPullsDownloadEachBlobOnce) {
  StatusOr<ResolvedModel> a = InternalError("unset"), b = InternalError("unset");
  std::thread t1([&] { a = Pull(kRepo, Options()); });
  std::thread t2([&] { b = Pull(kRepo, Options()); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->digests, b->digests);
  EXPECT_EQ(hub_->Count("GET", "/cdn/"), 1);
}

TEST_F(PullTest, InvalidArgumentsAreRejectedBeforeAnyRequest) {
  EXPECT_EQ(Pull("no-slash", Options()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Pull("a/../b", Options()).status().code(), StatusCode::kInvalidArgument);
  PullOptions o = Options();
  o.revision = "../../etc";
  EXPECT_EQ(Pull(kRepo, o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(hub_->requests().empty());
}

// A PEFT LoRA adapter repo (docs/LORA.md): only adapter_config.json (resolves the revision) and
// the LFS adapter_model.safetensors are fetched, cached and digested; the base is not pulled.
TEST_F(PullTest, AdapterRepoFetchesOnlyTheAdapterFiles) {
  MockRepo ad;
  ad.commit = "89abcdef0123456789abcdef0123456789abcdef";
  ad.files["adapter_config.json"] = {R"({"peft_type": "LORA", "r": 4, "target_modules": ["q_proj"],
      "base_model_name_or_path": "astroware/HaloGuard-Tiny"})", false};
  ad.files["adapter_model.safetensors"] = {RandomBytes(20000, 9), true};
  ad.files["README.md"] = {"# an adapter", false};
  hub_->AddRepo("someone/haloguard-policy-lora", ad);
  StatusOr<ResolvedModel> m = ResolveAdapterArg("someone/haloguard-policy-lora", Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->repo_id, "someone/haloguard-policy-lora");
  EXPECT_EQ(m->revision, ad.commit);
  EXPECT_EQ(m->files, (std::vector<std::string>{"adapter_config.json", "adapter_model.safetensors"}));
  const std::string& weights = ad.files["adapter_model.safetensors"].content;
  EXPECT_EQ(Read(m->dir + "/adapter_model.safetensors"), weights);
  EXPECT_EQ(m->digests.at("adapter_model.safetensors"), "sha256:" + MockHub::Sha256Hex(weights));
  EXPECT_EQ(hub_->Count("GET", "/cdn/" + MockHub::Sha256Hex(weights)), 1);
  for (const auto& r : hub_->requests()) {
    EXPECT_EQ(r.path.find("HaloGuard-Tiny"), std::string::npos) << "the base was requested: " << r.path;
    EXPECT_EQ(r.path.find("README.md"), std::string::npos) << r.path;
  }
  // Cached: offline resolution finds it; a checkpoint repo is not an adapter.
  PullOptions offline = Options();
  offline.offline = true;
  EXPECT_TRUE(ResolveAdapterArg("someone/haloguard-policy-lora", offline).ok());
  StatusOr<ResolvedModel> wrong = ResolveAdapterArg(kRepo, Options());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("has no adapter_config.json"), std::string::npos)
      << wrong.status().ToString();
  // A local directory needs adapter_config.json.
  StatusOr<ResolvedModel> local = ResolveAdapterArg(tmp_, Options());
  ASSERT_FALSE(local.ok());
  EXPECT_NE(local.status().message().find("--adapter '"), std::string::npos) << local.status().ToString();
  StatusOr<ResolvedModel> dir = ResolveAdapterArg(m->dir, Options());
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(dir->repo_id, "someone/haloguard-policy-lora");  // a cache snapshot names its repo
}

}  // namespace
}  // namespace haloguard::hub::testing
