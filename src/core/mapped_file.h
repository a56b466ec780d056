// MappedFile: a read-only memory mapping of a whole file (weights are used in place, never copied).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace haloguard {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Maps `path` read-only. Errors: NOT_FOUND (missing), PERMISSION_DENIED, INVALID_ARGUMENT
  // (a directory), INTERNAL (mmap failure). An empty file maps to size 0 with data() == nullptr.
  static StatusOr<MappedFile> Open(const std::string& path);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  void Reset();
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// Reads a whole (small) file into a string; `max_bytes` guards against accidental huge reads.
StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes = 256u << 20);

// Writes `data` to `path` atomically (temp file in the same directory, fsync, rename).
Status WriteFileAtomic(const std::string& path, std::string_view data);

}  // namespace haloguard
