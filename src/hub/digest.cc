// SHA-256 / git blob SHA-1 through OpenSSL EVP (libcrypto uses the CPU's SHA extensions).
#include "hub/digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/check.h"

namespace haloguard::hub {

struct Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Hasher::Hasher(DigestKind kind, uint64_t total_size) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  HG_CHECK(impl_->ctx != nullptr) << "EVP_MD_CTX_new failed";
  const EVP_MD* md = kind == DigestKind::kSha256 ? EVP_sha256() : EVP_sha1();
  HG_CHECK(EVP_DigestInit_ex(impl_->ctx, md, nullptr) == 1) << "EVP_DigestInit_ex failed";
  if (kind == DigestKind::kGitBlobSha1) {
    std::string header = "blob " + std::to_string(total_size);
    header.push_back('\0');
    Update(header);
  }
}

Hasher::~Hasher() { EVP_MD_CTX_free(impl_->ctx); }

void Hasher::Update(std::string_view data) {
  HG_CHECK(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1) << "EVP_DigestUpdate";
}

std::string Hasher::FinishHex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HG_CHECK(EVP_DigestFinal_ex(impl_->ctx, md, &len) == 1) << "EVP_DigestFinal_ex failed";
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

StatusOr<std::string> HashFile(const std::string& path, DigestKind kind) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = "hash " + path + ": cannot open; " + std::strerror(err);
    if (err == ENOENT) return NotFoundError(msg);
    if (err == EACCES) return PermissionDeniedError(msg);
    return InternalError(msg);
  }
  uint64_t size = 0;
  if (kind == DigestKind::kGitBlobSha1) {
    off_t end = ::lseek(fd, 0, SEEK_END);
    if (end < 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
      ::close(fd);
      return InternalError("hash " + path + ": cannot seek");
    }
    size = static_cast<uint64_t>(end);
  }
  Hasher hasher(kind, size);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return InternalError("hash " + path + ": read failed; " + std::strerror(err));
    }
    hasher.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  ::close(fd);
  return hasher.FinishHex();
}

std::string Sha256Hex(std::string_view data) {
  Hasher h(DigestKind::kSha256);
  h.Update(data);
  return h.FinishHex();
}

}  // namespace haloguard::hub
