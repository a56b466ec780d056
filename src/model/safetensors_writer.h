// Streaming safetensors writer: declare tensors (name, dtype, shape) first, then write each
// tensor's bytes in declaration order. Never holds more than one tensor in memory.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace haloguard::model {

class SafetensorsWriter {
 public:
  // Declares a tensor; all declarations must precede Begin().
  void Declare(const std::string& name, DType dtype, const std::vector<int64_t>& shape);
  void SetMetadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  // Creates `path` (as path.partial, renamed by Finish) and writes the header (padded with
  // spaces to an 8-byte boundary, so every tensor is aligned).
  Status Begin(const std::string& path);
  // Appends bytes of the current tensor (declaration order); a tensor may be written in several
  // chunks, but a chunk never spans two tensors.
  Status Write(const void* data, size_t nbytes);
  // Checks that every tensor was written, flushes, and renames into place.
  Status Finish();
  ~SafetensorsWriter();

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    size_t nbytes;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
  std::string path_;
  FILE* file_ = nullptr;
  size_t next_ = 0;
  size_t written_ = 0;  // bytes of entries_[next_] written so far
};

}  // namespace haloguard::model
