// Digests against published vectors: FIPS 180-2 SHA-256 examples and git's object ids
// (`git hash-object` of the empty blob and of "hello world\n").
#include "hub/digest.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/mapped_file.h"

namespace haloguard::hub {
namespace {

TEST(Digest, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Digest, GitBlobSha1KnownVectors) {
  Hasher empty(DigestKind::kGitBlobSha1, 0);
  EXPECT_EQ(empty.FinishHex(), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  Hasher hello(DigestKind::kGitBlobSha1, 12);
  hello.Update("hello world\n");
  EXPECT_EQ(hello.FinishHex(), "3b18e512dba79e4c8300dd08aeb37f8e728b8dad");
}

TEST(Digest, StreamingEqualsOneShotAndFilesHashLikeStrings) {
  std::string data;
  for (int i = 0; i < 3'000'000; ++i) data.push_back(static_cast<char>(i * 7 + (i >> 9)));
  Hasher h(DigestKind::kSha256);
  for (size_t off = 0; off < data.size(); off += 65537) h.Update(std::string_view(data).substr(off, 65537));
  const std::string expected = Sha256Hex(data);
  EXPECT_EQ(h.FinishHex(), expected);
  char path[] = "/tmp/hg_digest_XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_TRUE(WriteFileAtomic(path, data).ok());
  StatusOr<std::string> file = HashFile(path, DigestKind::kSha256);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(*file, expected);
  ASSERT_TRUE(WriteFileAtomic(path, "hello world\n").ok());
  EXPECT_EQ(*HashFile(path, DigestKind::kGitBlobSha1), "3b18e512dba79e4c8300dd08aeb37f8e728b8dad");
  ::unlink(path);
  EXPECT_EQ(HashFile(path, DigestKind::kSha256).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace haloguard::hub
