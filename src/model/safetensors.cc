// Safetensors header parsing and checkpoint-directory opening.
#include "model/safetensors.h"

#include <sys/stat.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

namespace haloguard::model {
namespace {

using Json = nlohmann::json;

// A real header is a few hundred KB; 100 MB leaves room for huge checkpoints while refusing
// a corrupt length field before we try to parse gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

bool FileExists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsDir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status Corrupt(const std::string& path, const std::string& what) {
  return DataLossError("safetensors '" + path + "': " + what);
}

Status ParseEntry(const std::string& path, const std::string& name, const Json& e,
                  const uint8_t* data_base, uint64_t data_size, TensorInfo* t) {
  const std::string where = "tensor '" + name + "'";
  if (!e.is_object()) return Corrupt(path, where + ": expected an object");
  auto dt = e.find("dtype");
  auto sh = e.find("shape");
  auto off = e.find("data_offsets");
  if (dt == e.end() || !dt->is_string()) return Corrupt(path, where + ": missing dtype string");
  if (sh == e.end() || !sh->is_array()) return Corrupt(path, where + ": missing shape array");
  if (off == e.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned()) {
    return Corrupt(path, where + ": data_offsets must be two non-negative integers");
  }
  t->name = name;
  t->file = path;
  t->dtype_name = dt->get<std::string>();
  t->dtype = DTypeFromName(t->dtype_name);
  uint64_t numel = 1;
  for (const Json& d : *sh) {
    if (!d.is_number_unsigned()) return Corrupt(path, where + ": shape entries must be >= 0");
    uint64_t v = d.get<uint64_t>();
    if (v > (1ull << 40) || (v != 0 && numel > (1ull << 62) / v)) {
      return Corrupt(path, where + ": shape too large");
    }
    numel *= v;
    t->shape.push_back(static_cast<int64_t>(v));
  }
  const uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
  if (begin > end || end > data_size) {
    return Corrupt(path, where + ": data_offsets [" + std::to_string(begin) + ", " +
                             std::to_string(end) + ") outside the data section of " +
                             std::to_string(data_size) + " bytes (truncated file?)");
  }
  const size_t esize = DTypeSize(t->dtype);
  if (esize != 0) {
    if (numel * esize != end - begin) {
      return Corrupt(path, where + ": " + std::to_string(end - begin) + " bytes; expected " +
                               std::to_string(numel * esize) + " for " + t->dtype_name + " " +
                               t->ShapeString());
    }
    if (reinterpret_cast<uintptr_t>(data_base + begin) % esize != 0) {
      return Corrupt(path, where + ": data not aligned to its " + std::to_string(esize) +
                               "-byte element size");
    }
  }
  t->data = data_base + begin;
  t->nbytes = end - begin;
  return OkStatus();
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorInfo::ShapeString() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::string& path) {
  SafetensorsFile f;
  HG_ASSIGN_OR_RETURN(f.file_, MappedFile::Open(path));
  const uint8_t* p = f.file_.data();
  const size_t size = f.file_.size();
  if (size < 8) return Corrupt(path, "file is " + std::to_string(size) + " bytes; expected >= 8");
  uint64_t hlen;
  std::memcpy(&hlen, p, 8);  // little-endian u64 (x86/ARM hosts are little-endian)
  if (hlen > kMaxHeaderBytes || hlen > size - 8) {
    return Corrupt(path, "header length " + std::to_string(hlen) + " exceeds the file (" +
                             std::to_string(size) + " bytes) or the 100 MB limit");
  }
  const char* hbegin = reinterpret_cast<const char*>(p + 8);
  Json header = Json::parse(hbegin, hbegin + hlen, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return Corrupt(path, "header is not a JSON object");
  }
  const uint8_t* data_base = p + 8 + hlen;
  const uint64_t data_size = size - 8 - hlen;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (it->is_object()) {
        for (auto m = it->begin(); m != it->end(); ++m)
          if (m->is_string()) f.metadata_[m.key()] = m->get<std::string>();
      }
      continue;
    }
    TensorInfo t;
    HG_RETURN_IF_ERROR(ParseEntry(path, it.key(), *it, data_base, data_size, &t));
    f.tensors_.emplace(it.key(), std::move(t));
  }
  return f;
}

StatusOr<std::unique_ptr<TensorStore>> TensorStore::Open(const std::string& path) {
  auto store = std::make_unique<TensorStore>();
  std::vector<std::string> shards;
  std::map<std::string, std::string> weight_map;  // tensor -> shard file name
  if (!IsDir(path)) {
    if (!FileExists(path)) return NotFoundError("checkpoint '" + path + "' does not exist");
    shards.push_back(path);
  } else if (FileExists(path + "/model.safetensors.index.json")) {
    const std::string ipath = path + "/model.safetensors.index.json";
    HG_ASSIGN_OR_RETURN(MappedFile mf, MappedFile::Open(ipath));
    const char* b = reinterpret_cast<const char*>(mf.data());
    Json idx = Json::parse(b, b + mf.size(), nullptr, false);
    if (idx.is_discarded() || !idx.is_object() || !idx.contains("weight_map") ||
        !idx["weight_map"].is_object()) {
      return DataLossError("'" + ipath + "': expected a JSON object with a \"weight_map\" object");
    }
    std::set<std::string> names;
    for (auto it = idx["weight_map"].begin(); it != idx["weight_map"].end(); ++it) {
      if (!it->is_string()) return DataLossError("'" + ipath + "': weight_map values must be file names");
      const std::string shard = it->get<std::string>();
      if (shard.find('/') != std::string::npos || shard.empty() || shard[0] == '.') {
        return DataLossError("'" + ipath + "': shard name '" + shard + "' is not a plain file name");
      }
      weight_map[it.key()] = shard;
      if (names.insert(shard).second) shards.push_back(path + "/" + shard);
    }
  } else if (FileExists(path + "/model.safetensors")) {
    shards.push_back(path + "/model.safetensors");
  } else {
    return NotFoundError("checkpoint '" + path +
                         "': no model.safetensors or model.safetensors.index.json");
  }
  for (const std::string& s : shards) {
    auto f = SafetensorsFile::Open(s);
    if (!f.ok()) return f.status();
    store->files_.push_back(std::make_unique<SafetensorsFile>(std::move(*f)));
  }
  for (const auto& f : store->files_) {
    for (const auto& [name, info] : f->tensors()) {
      if (!store->index_.emplace(name, &info).second) {
        return DataLossError("checkpoint '" + path + "': tensor '" + name + "' appears in two shards");
      }
    }
  }
  for (const auto& [name, shard] : weight_map) {
    const TensorInfo* t = store->Find(name);
    if (t == nullptr || t->file != path + "/" + shard) {
      return DataLossError("checkpoint '" + path + "': index says tensor '" + name +
                           "' is in '" + shard + "' but it is not there");
    }
  }
  return store;
}

const TensorInfo* TensorStore::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

size_t TensorStore::total_file_bytes() const {
  size_t n = 0;
  for (const auto& f : files_) n += f->size_bytes();
  return n;
}

}  // namespace haloguard::model
