// ResolveModelArg: local directories (plain and cache snapshots), repo ids, and bad arguments.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/mapped_file.h"
#include "hub/hub.h"
#include "hub/testing/pull_fixture.h"

namespace haloguard::hub::testing {
namespace {

namespace fs = std::filesystem;

class ModelArgTest : public PullTest {
 protected:
  // A plain checkpoint directory with every small file of the tiny repo and its weights.
  std::string MakeLocalDir() {
    const std::string dir = tmp_ + "/local";
    fs::create_directories(dir);
    for (const auto& [name, f] : files_) EXPECT_TRUE(WriteFileAtomic(dir + "/" + name, f.content).ok());
    return dir;
  }
};

TEST_F(ModelArgTest, PlainDirectoryIsUsedAsIsWithLocalDigests) {
  const std::string dir = MakeLocalDir();
  StatusOr<ResolvedModel> m = ResolveModelArg(dir, Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->dir, fs::canonical(dir).string());
  EXPECT_EQ(m->repo_id, "");
  EXPECT_EQ(m->revision, "");
  EXPECT_EQ(m->files.size(), 5u);
  for (const auto& [name, f] : files_) {
    EXPECT_EQ(m->digests.at(name), "sha256:" + MockHub::Sha256Hex(f.content)) << name;
  }
  EXPECT_TRUE(hub_->requests().empty());
}

TEST_F(ModelArgTest, LargeUnlinkedWeightsAreHashedOnlyOnRequest) {
  const std::string dir = MakeLocalDir();
  // A sparse file just over the threshold: free to create, all zeros when read.
  fs::resize_file(dir + "/model.safetensors", 0);
  fs::resize_file(dir + "/model.safetensors", kSmallFileBytes + 1);
  StatusOr<ResolvedModel> cheap = ResolveModelArg(dir, Options());
  ASSERT_TRUE(cheap.ok()) << cheap.status().ToString();
  EXPECT_EQ(cheap->undigested, std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(cheap->digests.count("model.safetensors"), 0u);
  PullOptions full = Options();
  full.hash_large_local_files = true;
  StatusOr<ResolvedModel> hashed = ResolveModelArg(dir, full);
  ASSERT_TRUE(hashed.ok()) << hashed.status().ToString();
  EXPECT_TRUE(hashed->undigested.empty());
  EXPECT_EQ(hashed->digests.at("model.safetensors"),
            "sha256:" + MockHub::Sha256Hex(std::string(kSmallFileBytes + 1, '\0')));
}

TEST_F(ModelArgTest, RepoIdIsPulledAndSnapshotPathReportsRepoAndCommit) {
  StatusOr<ResolvedModel> pulled = ResolveModelArg(kRepo, Options());
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(pulled->revision, kCommit);
  hub_->ClearRequests();
  StatusOr<ResolvedModel> snap = ResolveModelArg(pulled->dir, Options());
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->repo_id, kRepo);
  EXPECT_EQ(snap->revision, kCommit);
  EXPECT_EQ(snap->digests, pulled->digests);  // blob names, no hashing of the weights
  EXPECT_TRUE(hub_->requests().empty());
}

TEST_F(ModelArgTest, BadArgumentsGetClearErrors) {
  const std::string dir = MakeLocalDir();
  EXPECT_EQ(ResolveModelArg("", Options()).status().code(), StatusCode::kInvalidArgument);
  StatusOr<ResolvedModel> file = ResolveModelArg(dir + "/config.json", Options());
  EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(file.status().message().find("got a file"), std::string::npos);
  EXPECT_EQ(ResolveModelArg(tmp_ + "/nope", Options()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ResolveModelArg("./nope", Options()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ResolveModelArg("gpt2", Options()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ResolveModelArg("bad name/x", Options()).status().code(),
            StatusCode::kInvalidArgument);
  fs::remove(dir + "/config.json");
  StatusOr<ResolvedModel> no_config = ResolveModelArg(dir, Options());
  EXPECT_EQ(no_config.status().code(), StatusCode::kNotFound);
  EXPECT_NE(no_config.status().message().find("config.json"), std::string::npos);
  EXPECT_TRUE(hub_->requests().empty());
}

TEST_F(ModelArgTest, AliasIsPulledUnlessADirectoryHasThatName) {
  hub_->AddRepo(kRepo08B, TinyRepo());
  StatusOr<ResolvedModel> m = ResolveModelArg("haloguard-0.8b", Options());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->repo_id, kRepo08B);
  EXPECT_EQ(m->requested_id, "haloguard-0.8b");
  const std::string here = tmp_ + "/haloguard-0.8b";
  fs::create_directories(here);
  for (const auto& [name, f] : files_) ASSERT_TRUE(WriteFileAtomic(here + "/" + name, f.content).ok());
  StatusOr<ResolvedModel> local = ResolveModelArg(here, Options());
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ(local->repo_id, "");
}

}  // namespace
}  // namespace haloguard::hub::testing
