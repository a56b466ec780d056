// Safetensors reading: header parsing and validation over a memory-mapped file, and a TensorStore
// that opens a checkpoint directory (model.safetensors or a sharded model.safetensors.index.json).
// Knows nothing about Qwen; tensors are used in place (no copies).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"
#include "core/status.h"

namespace haloguard::model {

struct TensorInfo {
  std::string name;
  DType dtype = DType::kUnknown;
  std::string dtype_name;        // as written in the header (kept for error messages)
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // into the mapping; aligned to the element size
  size_t nbytes = 0;
  std::string file;              // path of the shard holding it

  int64_t numel() const;
  std::string ShapeString() const;  // "[6144, 1, 4]"
};

// One .safetensors file, mapped read-only.
class SafetensorsFile {
 public:
  // Maps and validates `path`: header length within the file, JSON object header, every entry
  // with a dtype string, an integer shape and data_offsets inside the data section whose size
  // equals numel * dtype size (known dtypes), element-aligned. Errors are DATA_LOSS naming the
  // file and tensor.
  static StatusOr<SafetensorsFile> Open(const std::string& path);

  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return file_.path(); }
  size_t size_bytes() const { return file_.size(); }

 private:
  MappedFile file_;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a checkpoint directory. The mappings live as long as the store.
class TensorStore {
 public:
  // Opens DIR/model.safetensors.index.json (sharded; every listed shard must exist and hold the
  // tensors the index assigns to it) or else DIR/model.safetensors, or a single *.safetensors
  // file path. NOT_FOUND if neither exists; DATA_LOSS for corrupt files.
  static StatusOr<std::unique_ptr<TensorStore>> Open(const std::string& path);

  // nullptr if absent.
  const TensorInfo* Find(const std::string& name) const;
  const std::map<std::string, const TensorInfo*>& all() const { return index_; }
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  size_t total_file_bytes() const;

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorInfo*> index_;
};

}  // namespace haloguard::model
