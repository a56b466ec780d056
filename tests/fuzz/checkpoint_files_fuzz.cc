// libFuzzer target: the files of a model checkpoint (a downloaded or hand-made directory):
// config.json (ParseConfig), a .safetensors file (header + offsets, mapped from a temp file as
// the loader does; also adapter_model.safetensors) and a LoRA adapter's adapter_config.json plus
// tensor names (ParseLoraConfig, Targets, ParseLoraKey). Byte 0 % 4 picks the parser (0, 2:
// config; 1: safetensors; 3: LoRA). Each returns a value or an error with a message; an opened
// file's tensors must lie inside its mapping.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/config.h"
#include "model/lora_config.h"
#include "model/safetensors.h"

namespace m = haloguard::model;

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

void RemoveTemp();

// One temp file per process, rewritten for each input, removed at exit.
const std::string& TempPath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr ? dir : "/tmp") + "/hg_fuzz_" + std::to_string(getpid()) +
           ".safetensors";
  }();
  static const bool registered = std::atexit(RemoveTemp) == 0;
  (void)registered;
  return path;
}

void RemoveTemp() { std::remove(TempPath().c_str()); }

void FuzzSafetensors(std::string_view bytes) {
  {
    std::FILE* f = std::fopen(TempPath().c_str(), "wb");
    Require(f != nullptr);
    Require(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    std::fclose(f);
  }
  auto file = m::SafetensorsFile::Open(TempPath());
  if (!file.ok()) {
    Require(!file.status().message().empty());
    return;
  }
  for (const auto& [name, t] : file->tensors()) {
    Require(t.nbytes <= bytes.size() && (t.nbytes == 0 || t.data != nullptr));
    if (t.nbytes > 0) (void)t.data[t.nbytes - 1];  // ASan: the last byte is in the mapping
    (void)t.ShapeString();
  }
  Require(file->size_bytes() == bytes.size());
}

// adapter_config.json, then every line of the input as a tensor name.
void FuzzLora(std::string_view bytes) {
  auto c = m::ParseLoraConfig(bytes);
  if (!c.ok()) {
    Require(!c.status().message().empty());
  } else {
    Require(c->r >= 1);
    (void)c->scale();
    for (const char* name : {"model.language_model.layers.0.self_attn.q_proj", "lm_head", "q_proj"})
      (void)c->Targets(name);
  }
  size_t start = 0;
  while (start <= bytes.size()) {
    size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    auto key = m::ParseLoraKey(bytes.substr(start, end - start));
    if (key.ok()) Require(!key->module.empty());
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 4 == 3) {
    FuzzLora(rest);
  } else if (data[0] % 2 == 0) {
    auto c = m::ParseConfig(rest);
    if (!c.ok()) Require(!c.status().message().empty());
  } else {
    FuzzSafetensors(rest);
  }
  return 0;
}
