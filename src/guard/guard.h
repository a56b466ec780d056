// The model-backed guard: loads a checkpoint + tokenizer and implements guard::Classifier
// (prompt rendering, verdict, category scores, windows, policy, attack overlay).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "guard/result.h"
#include "model/qwen35.h"

namespace haloguard::guard {

struct GuardOptions {
  std::string model;             // checkpoint directory or Hub repo id (resolved by hub/)
  double threshold = 0.65;       // unsafe iff p_unsafe >= threshold (policy may override)
  int64_t window_length = 1200;  // user-text tokens per window
  int64_t window_stride = 256;   // tokens between window starts
  std::string policy_file;       // JSON policy ("" = defaults: block unsafe, allow safe)
  std::string calibration_file;  // temperature-scaling file from `haloguard calibrate` ("" = none)
  std::string attack_rules_file; // extra attack-overlay rules ("" = built-in rules only)
  std::string guard_prompt_file; // system prompt text with its own category block ("" = the card's)
  int threads = 0;               // compute threads (0 = all cores)
  int max_batch = 16;            // sequences per batched forward pass
  int64_t max_input_tokens = 16384;  // user-text tokens accepted per synchronous request
  int64_t background_chunk_tokens = 32;   // monitor-lane prefill piece (preemption bound)
  bool offline = false;          // never touch the network when resolving `model`
  // kExact (default): the stored weights in fp32 arithmetic. kInt8: per-row int8 copies of the
  // decoder projections (faster, approximate; docs/PERFORMANCE.md gives its measured cost).
  model::WeightMode weights = model::WeightMode::kExact;
  // A PEFT LoRA adapter: directory or Hub repo id ("" = none). Merged into private fp32 copies of
  // only the matrices it targets (docs/LORA.md); a base_model_name_or_path other than the loaded
  // model is a logged warning, shapes that do not fit are an error.
  std::string adapter;
  model::AdapterMode adapter_mode = model::AdapterMode::kAuto;  // merged copies or the side path
};

// OK iff every number is in range: threshold in [0, 1], 1 <= window_stride <= window_length,
// threads >= 0, max_batch >= 1, max_input_tokens >= 1, background_chunk_tokens >= 1.
// Errors: INVALID_ARGUMENT naming the option, the range expected and the value found.
Status ValidateGuardOptions(const GuardOptions& options);

// Validates `options`, then loads the model, tokenizer, policy and calibration, and precomputes
// the prefix cache. Errors name the option, file or key at fault (NOT_FOUND, INVALID_ARGUMENT,
// DATA_LOSS, ...).
StatusOr<std::unique_ptr<Classifier>> LoadClassifier(const GuardOptions& options);

}  // namespace haloguard::guard
