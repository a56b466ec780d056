// Hub cache layout: the exact paths and symlink targets huggingface_hub uses, refs, .no_exist
// markers, and the blob lock's mutual exclusion.
#include "hub/cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "core/mapped_file.h"
#include "hub/testing/temp_dir.h"

namespace haloguard::hub {
namespace {

namespace fs = std::filesystem;
constexpr const char* kCommit = "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd";

class CacheTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  const std::string tmp_ = dir_.path();
};

TEST_F(CacheTest, PathsMatchHuggingfaceHub) {
  RepoCache c(tmp_, "owner/name");
  EXPECT_EQ(c.repo_dir(), tmp_ + "/models--owner--name");
  EXPECT_EQ(c.BlobPath("e1"), tmp_ + "/models--owner--name/blobs/e1");
  EXPECT_EQ(c.IncompletePath("e1"), tmp_ + "/models--owner--name/blobs/e1.incomplete");
  EXPECT_EQ(c.LockPath("e1"), tmp_ + "/.locks/models--owner--name/e1.lock");
  EXPECT_EQ(c.SnapshotPath(kCommit, "config.json"),
            tmp_ + "/models--owner--name/snapshots/" + kCommit + "/config.json");
}

TEST_F(CacheTest, RefsRoundTripIncludingSlashedRevisions) {
  RepoCache c(tmp_, "o/n");
  EXPECT_EQ(c.ResolveRevision("main").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*c.ResolveRevision(kCommit), kCommit);  // a commit needs no ref
  ASSERT_TRUE(c.WriteRef("main", kCommit).ok());
  ASSERT_TRUE(c.WriteRef("refs/pr/1", kCommit).ok());
  EXPECT_EQ(*ReadFileToString(c.repo_dir() + "/refs/main"), kCommit);
  EXPECT_EQ(*c.ResolveRevision("refs/pr/1"), kCommit);
  ASSERT_TRUE(WriteFileAtomic(c.repo_dir() + "/refs/v1", std::string(kCommit) + "\n").ok());
  EXPECT_EQ(*c.ResolveRevision("v1"), kCommit);
  ASSERT_TRUE(WriteFileAtomic(c.repo_dir() + "/refs/bad", "not-a-commit").ok());
  EXPECT_EQ(c.ResolveRevision("bad").status().code(), StatusCode::kDataLoss);
}

TEST_F(CacheTest, SnapshotLinksAreRelativeAndReplaceable) {
  RepoCache c(tmp_, "o/n");
  ASSERT_TRUE(MakeDirs(c.repo_dir() + "/blobs").ok());
  ASSERT_TRUE(WriteFileAtomic(c.BlobPath("b1"), "one").ok());
  ASSERT_TRUE(WriteFileAtomic(c.BlobPath("b2"), "two").ok());
  ASSERT_TRUE(c.LinkSnapshotFile(kCommit, "f.json", "b1").ok());
  EXPECT_EQ(fs::read_symlink(c.SnapshotPath(kCommit, "f.json")).string(), "../../blobs/b1");
  ASSERT_TRUE(c.LinkSnapshotFile(kCommit, "f.json", "b2").ok());
  EXPECT_EQ(*ReadFileToString(c.SnapshotPath(kCommit, "f.json")), "two");
  EXPECT_EQ(std::distance(fs::directory_iterator(c.SnapshotDir(kCommit)), {}), 1);  // no temp left
}

TEST_F(CacheTest, NoExistMarkers) {
  RepoCache c(tmp_, "o/n");
  EXPECT_FALSE(c.HasNoExist(kCommit, "chat_template.jinja"));
  ASSERT_TRUE(c.MarkNoExist(kCommit, "chat_template.jinja").ok());
  EXPECT_TRUE(c.HasNoExist(kCommit, "chat_template.jinja"));
  EXPECT_TRUE(fs::is_regular_file(c.repo_dir() + "/.no_exist/" + kCommit + "/chat_template.jinja"));
}

TEST_F(CacheTest, FileLockExcludesASecondHolder) {
  const std::string path = tmp_ + "/.locks/x/e.lock";
  StatusOr<FileLock> first = FileLock::Acquire(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::atomic<bool> second_held{false};
  std::thread t([&] {
    StatusOr<FileLock> second = FileLock::Acquire(path);  // a new open file description
    second_held = second.ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(second_held.load());
  { FileLock release = std::move(*first); }
  t.join();
  EXPECT_TRUE(second_held.load());
}

}  // namespace
}  // namespace haloguard::hub
