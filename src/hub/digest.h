// Content digests for download verification: streaming SHA-256 (LFS oids) and git blob SHA-1
// (the ETag of non-LFS files on the Hub), both through OpenSSL's libcrypto EVP interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace haloguard::hub {

enum class DigestKind { kSha256, kGitBlobSha1 };

// Incremental hasher. kGitBlobSha1 hashes "blob <size>\0" + content, so it needs the total size
// up front (git's object id). Not thread-safe; one per stream.
class Hasher {
 public:
  // `total_size` is used only by kGitBlobSha1.
  Hasher(DigestKind kind, uint64_t total_size = 0);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void Update(std::string_view data);
  // Lowercase hex digest (64 chars for SHA-256, 40 for SHA-1). Call once.
  std::string FinishHex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Digest of a whole file, read in 1 MiB chunks. Errors: NOT_FOUND / PERMISSION_DENIED /
// INTERNAL (read failure), naming the path.
StatusOr<std::string> HashFile(const std::string& path, DigestKind kind);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace haloguard::hub
