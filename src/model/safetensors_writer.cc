// SafetensorsWriter implementation.
#include "model/safetensors_writer.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace haloguard::model {

void SafetensorsWriter::Declare(const std::string& name, DType dtype,
                                const std::vector<int64_t>& shape) {
  size_t n = DTypeSize(dtype);
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  entries_.push_back({name, dtype, shape, n});
}

Status SafetensorsWriter::Begin(const std::string& path) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  size_t offset = 0;
  for (const Entry& e : entries_) {
    header[e.name] = {{"dtype", std::string(DTypeName(e.dtype))},
                      {"shape", e.shape},
                      {"data_offsets", {offset, offset + e.nbytes}}};
    offset += e.nbytes;
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');
  path_ = path;
  file_ = std::fopen((path + ".partial").c_str(), "wb");
  if (file_ == nullptr) return InternalError("cannot create '" + path + ".partial'");
  const uint64_t hlen = h.size();
  if (std::fwrite(&hlen, 8, 1, file_) != 1 || std::fwrite(h.data(), 1, h.size(), file_) != h.size()) {
    return InternalError("cannot write header of '" + path + "'");
  }
  next_ = 0;
  written_ = 0;
  while (next_ < entries_.size() && entries_[next_].nbytes == 0) ++next_;
  return OkStatus();
}

Status SafetensorsWriter::Write(const void* data, size_t nbytes) {
  if (file_ == nullptr || next_ >= entries_.size()) {
    return FailedPreconditionError("SafetensorsWriter::Write: no tensor left to write");
  }
  const Entry& e = entries_[next_];
  if (written_ + nbytes > e.nbytes) {
    return InvalidArgumentError("SafetensorsWriter: tensor '" + e.name + "' has " +
                                std::to_string(e.nbytes) + " bytes; got " +
                                std::to_string(written_ + nbytes));
  }
  if (nbytes > 0 && std::fwrite(data, 1, nbytes, file_) != nbytes) {
    return InternalError("cannot write tensor '" + e.name + "' to '" + path_ + "'");
  }
  written_ += nbytes;
  if (written_ == e.nbytes) {
    ++next_;
    written_ = 0;
    while (next_ < entries_.size() && entries_[next_].nbytes == 0) ++next_;
  }
  return OkStatus();
}

Status SafetensorsWriter::Finish() {
  if (file_ == nullptr) return FailedPreconditionError("SafetensorsWriter::Finish before Begin");
  if (next_ != entries_.size()) {
    return FailedPreconditionError("SafetensorsWriter: " + std::to_string(entries_.size() - next_) +
                                   " declared tensors were not written");
  }
  const bool ok = std::fflush(file_) == 0 && std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok) return InternalError("cannot flush '" + path_ + "'");
  if (std::rename((path_ + ".partial").c_str(), path_.c_str()) != 0) {
    return InternalError("cannot rename '" + path_ + ".partial'");
  }
  return OkStatus();
}

SafetensorsWriter::~SafetensorsWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove((path_ + ".partial").c_str());
  }
}

}  // namespace haloguard::model
