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

struct ForwardOptions {
  TapFn tap;  // only honoured for single-sequence batches
  kernels::DeltaRuleForm delta_rule = kernels::DeltaRuleForm::kAuto;
};

class Model {
 public:
  // Loads DIR (config.json + model.safetensors[.index.json]); weights stay mapped in their
  // stored dtype. Errors name the file, key or tensor at fault.
  static StatusOr<std::unique_ptr<Model>> Load(const std::string& dir);

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

 private:
  Model() = default;
  TextConfig config_;
  std::unique_ptr<TensorStore> store_;
  ModelWeights weights_;
};

}  // namespace haloguard::model
