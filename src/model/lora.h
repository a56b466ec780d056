// A PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) validated against a loaded
// base model, and the merged private copies of only the matrices it targets:
//   W'[out, in] = W + scale * B[out, r] · A[r, in], computed and stored in fp32.
// Not the tuning or saving side; only plain LoRA on the decoder's linear projections.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/config.h"
#include "model/lora_config.h"
#include "model/safetensors.h"
#include "model/weights.h"

namespace haloguard::model {

inline constexpr const char* kLoraConfigFile = "adapter_config.json";
inline constexpr const char* kLoraWeightsFile = "adapter_model.safetensors";

// One targeted projection: its base tensor and the adapter's two factors (mapped, stored dtype).
struct LoraModule {
  std::string base_name;      // base tensor, e.g. "model.language_model.layers.3.self_attn.q_proj.weight"
  WeightMatrix* base = nullptr;  // the base model's matrix [out, in] (replaced by the merge)
  const TensorInfo* a = nullptr;  // lora_A [r, in], in the adapter file's mapping
  const TensorInfo* b = nullptr;  // lora_B [out, r]
};

// An adapter bound to one base model. The safetensors mapping lives as long as this object.
struct LoraAdapter {
  std::string dir;
  LoraConfig config;
  std::unique_ptr<SafetensorsFile> file;  // adapter_model.safetensors
  std::vector<LoraModule> modules;        // base-table order (layers ascending)
  int64_t ignored_tensors = 0;            // model.visual.* / mtp.* factors (not in the text model)
};

// Reads DIR/adapter_config.json and DIR/adapter_model.safetensors and binds every module to
// `weights` (the base's linear projections). Accepted module prefixes: the base's own
// ("model.language_model." or "model.") and the other layout's (remapped). Refused
// (INVALID_ARGUMENT, naming the module and what was expected and found):
//  - a config error (ParseLoraConfig) or a key that is not PEFT's `...lora_A.weight` / `lora_B`;
//  - a module with only one of A / B, or a factor in a dtype other than BF16 / F16 / F32;
//  - a module that is the embedding or the LM head (unsupported targets), or no decoder
//    projection of the base at all (e.g. a layer index past num_hidden_layers, a norm);
//  - shapes that do not fit: A must be [r, in], B [out, r], with r from the config and
//    [out, in] the base matrix's shape;
//  - target_modules selecting a base projection the file has no factors for (truncated file),
//    or a factor for a module target_modules does not select; target_modules naming the
//    embedding or LM head.
// NOT_FOUND / DATA_LOSS: a missing or corrupt file. `weights` must outlive the adapter.
StatusOr<LoraAdapter> LoadLoraAdapter(const std::string& dir, const TextConfig& c,
                                      ModelWeights* weights);

// One module's merged matrix W' = W + scale * B A [out, in] f32: every element is the base value
// widened to fp32 plus scale * the r-term fp32 dot product (k ascending: one fixed order, so the
// result is deterministic). Model::Load puts it in place of the mapped matrix (bf16_compute off)
// and releases the base's pages; other matrices stay mapped.
std::vector<float> MergeLoraModule(ThreadPool& pool, const LoraAdapter& adapter, const LoraModule& m);
// An F32 matrix view [rows, cols] of `v` (which must outlive it).
WeightMatrix F32Matrix(const std::vector<float>& v, int64_t rows, int64_t cols);

// The low-rank side path: the targeted matrices stay as they are (mapped) and each projection
// through one adds y[T, out] += (x[T, in] · A^T) · (scale B)^T in fp32: the fp32 MatMul, then r
// axpys per row (each output element in one fixed order, so batch invariance holds). Owns fp32 copies of A [r, in]
// and (scale * B)^T [r, out]: r (in + out) floats per module.
class LoraSidePath {
 public:
  explicit LoraSidePath(const LoraAdapter& adapter);
  // Adds the adapter's term for base matrix `w` (by address) to y [T, w.rows]; a no-op when the
  // adapter does not target `w`. x is [T, w.cols] f32. Thread-compatible (scratch per thread).
  void Apply(ThreadPool& pool, const WeightMatrix& w, const float* x, int64_t T, float* y) const;
  size_t bytes() const { return bytes_; }

 private:
  struct Factors {
    std::vector<float> a;   // A [r, in]
    std::vector<float> bt;  // (scale * B)^T [r, out]
    int64_t bt_cols = 0;    // out
    WeightMatrix a_view;
  };
  std::unordered_map<const WeightMatrix*, Factors> by_matrix_;
  size_t bytes_ = 0;
};

// Base tensor names of every decoder projection an adapter may target ("<prefix>layers.N.…weight")
// mapped to its matrix in `w`.
std::vector<std::pair<std::string, WeightMatrix*>> LinearModules(const TextConfig& c,
                                                                 ModelWeights* w);

}  // namespace haloguard::model
