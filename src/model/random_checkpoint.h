// Random-weight Hugging Face checkpoints of any Qwen3.5 config (`haloguard make-checkpoint`):
// config.json + model.safetensors with the real HF tensor names, for tests and benchmarks.
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "core/status.h"

namespace haloguard::model {

struct RandomCheckpointOptions {
  uint64_t seed = 0;
  DType dtype = DType::kBF16;      // F32, BF16 or F16 for every tensor
  DType vector_dtype = DType::kUnknown;  // dtype of 1-D tensors (A_log, norms); kUnknown = dtype
  bool include_lm_head = false;    // write an explicit lm_head.weight even when tied
};

// Writes OUT_DIR/config.json (the input config text, unchanged) and OUT_DIR/model.safetensors.
// Values: matrices ~ N(0, 1/fan_in) (embeddings N(0, 1/D)), zero-centred norm weights ~ N(0, 0.1^2),
// the gated-norm weight ~ 1 + N(0, 0.1^2), A_log = log U(1, 16), dt_bias ~ 1 + N(0, 0.1^2),
// conv taps ~ N(0, 1/K). Scaled so activations stay O(1) through any depth. Deterministic in seed.
Status WriteRandomCheckpoint(const std::string& config_json_text, const std::string& out_dir,
                             const RandomCheckpointOptions& options);

}  // namespace haloguard::model
