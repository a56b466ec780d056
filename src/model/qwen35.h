// Model: a loaded Qwen3.5 text decoder (config + mapped weights) and its batched forward pass:
//   h = embed(ids); for each layer: h += Mixer(RmsNorm(h)); h += Mlp(RmsNorm(h));
//   logits = RmsNorm(h) · lm_head^T (only the positions and vocabulary rows asked for).
// The model is immutable and shared by all threads; per-sequence data lives in InferenceState.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/config.h"
#include "model/lora.h"
#include "model/safetensors.h"
#include "model/state.h"
#include "model/weights.h"

namespace haloguard::model {

// One sequence of a batched forward call.
struct SequenceInput {
  InferenceState* state = nullptr;     // continued from its current position
  std::span<const int32_t> tokens;     // >= 1 new tokens, each < vocab_size
  // true: the state advances by tokens.size(). false: the state is only read (e.g. scoring a
  // continuation from a shared state); it must then not be committed by another item.
  bool commit = true;
  std::vector<int32_t> logit_positions;  // indices into `tokens` whose logits are wanted
  std::vector<int32_t> logit_rows;       // vocabulary rows; empty = the full vocabulary
  std::vector<float>* logits = nullptr;  // out: [positions, rows (or V)]; required if positions
};

// Observes named intermediates of a single-sequence forward ("embed", "layer.{L}",
// "final_norm", HF module order), for golden comparisons. data is [rows, cols] f32.
using TapFn = std::function<void(const std::string& name, const float* data, int64_t rows,
                                 int64_t cols)>;

// Wall-clock seconds per stage, accumulated over the Forward calls that are given this profile
// (benchmarks and profiling; two clock reads per stage when set, nothing when not).
struct ForwardProfile {
  double matmul = 0;      // every projection (token-parallel, all rows of the batch)
  double delta_rule = 0;  // gated delta rule
  double attention = 0;   // RoPE, KV-cache append, softmax attention
  double mixer_prep = 0;  // causal conv1d + SiLU, q/k L2 norm, GDN gates, q/gate split
  double other = 0;       // embedding, norms + residuals, activations, gated norm
  double logits = 0;      // final norm + LM head rows
  int64_t calls = 0;
  int64_t rows = 0;       // tokens processed
  double Total() const { return matmul + delta_rule + attention + mixer_prep + other + logits; }
};

struct ForwardOptions {
  TapFn tap;  // only honoured for single-sequence batches
  kernels::DeltaRuleForm delta_rule = kernels::DeltaRuleForm::kAuto;
  ForwardProfile* profile = nullptr;  // accumulates stage times if set
};

// How the decoder's projection matrices are used. kExact (default): the stored BF16/F16/F32
// values in place, fp32 arithmetic. kInt8: an int8 copy per output row (kernels.h
// QuantizedMatrix, about half the BF16 bytes) used with int8 activations; the embedding and LM
// head stay exact. The BF16 pages of the quantised matrices are released from memory.
// kBf16: the same BF16 matrices in place, multiplied in the kernels' bf16 compute mode
// (activations rounded to bf16, fp32 accumulation); on a CPU without AVX512_BF16, or for a
// non-BF16 checkpoint, the model logs that and loads as kExact.
enum class WeightMode { kExact, kInt8, kBf16 };

// How a LoRA adapter is applied (docs/LORA.md). kAuto: merged copies when they are cheap (int8
// mode, where only the int8 copy every matrix has remains, or merged fp32 copies of at most
// kAutoMergeFraction of the checkpoint's bytes), else the side path, so an all-linear adapter never
// costs a second full-size copy of the weights.
enum class AdapterMode { kAuto, kMerged, kSidePath };
inline constexpr double kAutoMergeFraction = 0.25;

struct LoadOptions {
  WeightMode weights = WeightMode::kExact;
  int quantize_threads = 0;  // threads for int8 quantisation / adapter merge at load (0 = all cores)
  // A PEFT LoRA adapter directory ("" = none): validated against the base (LoadLoraAdapter) and
  // merged into private fp32 copies of only the matrices it targets (docs/LORA.md); in kInt8
  // mode the merged matrices are what gets quantised, one at a time (no fp32 copy is kept).
  std::string adapter_dir;
  // How the adapter is applied: merged copies or the low-rank side path (LoraSidePath: no copy of
  // any matrix; in kInt8 mode the unmerged base is quantised and the side path stays fp32);
  // kAuto picks one by memory (AdapterMode).
  AdapterMode adapter_mode = AdapterMode::kAuto;
};

class Model {
 public:
  // Loads DIR (config.json + model.safetensors[.index.json]); weights stay mapped in their
  // stored dtype. Errors name the file, key or tensor at fault.
  static StatusOr<std::unique_ptr<Model>> Load(const std::string& dir);
  static StatusOr<std::unique_ptr<Model>> Load(const std::string& dir, const LoadOptions& options);

  WeightMode weight_mode() const { return weight_mode_; }
  // Bytes of the int8 weight copies (0 in kExact mode).
  size_t int8_bytes() const { return int8_bytes_; }
  // The adapter applied at load (nullptr if none) and the bytes of its merged fp32 copies (0 in
  // kInt8 mode, where only their int8 copies remain, counted in int8_bytes()), or of the side
  // path's fp32 factors.
  const LoraAdapter* adapter() const { return adapter_.get(); }
  size_t adapter_bytes() const { return adapter_bytes_; }
  // Non-null when the adapter runs as a side path (LoadOptions::adapter_mode).
  const LoraSidePath* adapter_side_path() const { return side_path_.get(); }
  // Bytes of the forward workspace for a batch of `rows` tokens in total (fp32 activations and
  // block scratch, ~80 KiB per token for the 0.8B shape). Up to 64 MiB it is kept per calling
  // thread and reused; a larger batch allocates its own for the call.
  size_t WorkspaceBytes(int64_t rows) const;

  const TextConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const TensorStore& store() const { return *store_; }
  InferenceState NewState() const { return InferenceState(config_); }

  // Runs every sequence of `batch` (ragged lengths, one state each) through the decoder in one
  // pass: token-parallel ops run on all rows together, mixers per sequence. Errors
  // (INVALID_ARGUMENT): empty sequence, token id out of range, bad logit position/row, a state
  // committed twice or read while committed. Thread-compatible: concurrent calls are safe if they
  // use different states; compute threads come from `pool`.
  Status Forward(ThreadPool& pool, std::span<SequenceInput> batch,
                 const ForwardOptions& options = {}) const;

  // `ids` [T] alone through a fresh state, logits at every position into `logits` [T, V]
  // (reference comparisons, layer dumps). Errors: those of Forward.
  Status ForwardAllPositions(ThreadPool& pool, std::span<const int32_t> ids,
                             std::vector<float>* logits, const ForwardOptions& options = {}) const;

 private:
  Model() = default;
  Status QuantizeMatrices(int threads);
  void EnableBf16Compute();
  Status ApplyAdapter(const LoadOptions& options);
  void QuantizeOne(ThreadPool& pool, WeightMatrix& m);

  TextConfig config_;
  std::unique_ptr<TensorStore> store_;
  ModelWeights weights_;
  WeightMode weight_mode_ = WeightMode::kExact;
  std::vector<std::unique_ptr<kernels::QuantizedMatrix>> int8_;
  size_t int8_bytes_ = 0;
  std::unique_ptr<LoraAdapter> adapter_;
  std::vector<std::vector<float>> merged_;  // the adapter's merged matrices [out, in] f32
  std::unique_ptr<LoraSidePath> side_path_;  // set instead of merged_ for the side path
  size_t adapter_bytes_ = 0;
};

}  // namespace haloguard::model
