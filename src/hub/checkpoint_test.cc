// Checkpoint file set: index parsing (including hostile names), presence listing, digests.
#include "hub/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/mapped_file.h"
#include "hub/digest.h"
#include "hub/testing/temp_dir.h"

namespace haloguard::hub {
namespace {

namespace fs = std::filesystem;

TEST(ShardList, UniqueSortedNames) {
  StatusOr<std::vector<std::string>> s = ParseShardList(
      R"({"metadata": {"total_size": 1}, "weight_map": {"x": "m-2.safetensors",
          "y": "m-1.safetensors", "z": "m-2.safetensors"}})", "idx");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (std::vector<std::string>{"m-1.safetensors", "m-2.safetensors"}));
}

TEST(ShardList, RejectsBadIndexes) {
  for (const char* bad : {"not json", "[]", R"({"weight_map": {}})", R"({"weight_map": {"a": 1}})",
                          R"({"weight_map": {"a": "../../etc/passwd"}})",
                          R"({"weight_map": {"a": "/abs.safetensors"}})"}) {
    StatusOr<std::vector<std::string>> s = ParseShardList(bad, "idx");
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.status().message().rfind("idx", 0), 0u) << s.status().message();
  }
}

class CheckpointDirTest : public ::testing::Test {
 protected:
  void Put(const std::string& name, const std::string& data = "x") {
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/" + name, data).ok());
  }
  testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
};

TEST_F(CheckpointDirTest, ListsPresentAndMissingFiles) {
  Put("config.json");
  Put(kIndexFile, R"({"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}})");
  Put("s1.safetensors");
  StatusOr<CheckpointListing> l = ListCheckpointFiles(dir_);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->present, (std::vector<std::string>{"config.json", kIndexFile, "s1.safetensors"}));
  EXPECT_EQ(l->missing,
            (std::vector<std::string>{"tokenizer.json", "tokenizer_config.json", "s2.safetensors"}));
  fs::remove(dir_ + "/" + kIndexFile);
  l = ListCheckpointFiles(dir_);
  ASSERT_EQ(l->missing.size(), 3u);
  EXPECT_EQ(l->missing.back().rfind(kSingleWeightsFile, 0), 0u);
}

TEST_F(CheckpointDirTest, DigestsUseBlobNamesThenHashing) {
  const std::string sha = std::string(64, 'a');
  fs::create_directories(dir_ + "/blobs");
  fs::create_directories(dir_ + "/snap");
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/blobs/" + sha, "not what the name says").ok());
  fs::create_symlink("../blobs/" + sha, dir_ + "/snap/model.safetensors");
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/snap/config.json", "{}").ok());
  ResolvedModel m{.dir = dir_ + "/snap"};
  ASSERT_TRUE(ComputeDigests({"config.json", "model.safetensors"}, false, &m).ok());
  // The blob's name is trusted (the cache is content-addressed); the plain file is hashed.
  EXPECT_EQ(m.digests.at("model.safetensors"), "sha256:" + sha);
  EXPECT_EQ(m.digests.at("config.json"), "sha256:" + Sha256Hex("{}"));
  EXPECT_EQ(ComputeDigests({"absent.json"}, false, &m).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace haloguard::hub
