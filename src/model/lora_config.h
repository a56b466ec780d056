// PEFT LoRA adapter_config.json parsing and adapter tensor-name mapping (issue 14, part 2).
// Only plain LoRA on linear weights is supported; everything else is refused by name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace haloguard::model {

// Field names keep PEFT's spelling (peft/tuners/lora/config.py LoraConfig).
struct LoraConfig {
  int64_t r = 0;                // rank
  double lora_alpha = 8.0;      // PEFT default
  bool use_rslora = false;      // scale = alpha / sqrt(r) instead of alpha / r
  std::vector<std::string> target_modules;  // list form: names matched as a suffix
  std::string target_regex;     // string form: a regex matched against the full module name
  std::string base_model_name_or_path;  // informational (may be empty)

  // The factor applied to B A: alpha / r, or alpha / sqrt(r) with use_rslora.
  double scale() const;
  // PEFT's check_target_module_exists: the list form matches `name == t` or a suffix `.t`;
  // the string form is a full match of the regex (ECMAScript syntax, close to Python's `re`).
  bool Targets(std::string_view module_name) const;
};

// Parses adapter_config.json text. Errors (INVALID_ARGUMENT) start "adapter_config.json: " and
// name the key: malformed JSON, peft_type other than LORA, r < 1, non-numeric lora_alpha, missing
// or empty target_modules, and the unsupported options fan_in_fan_out=true, bias other than
// "none", non-empty modules_to_save, use_dora=true, non-empty rank_pattern / alpha_pattern.
StatusOr<LoraConfig> ParseLoraConfig(std::string_view json_text);

// Reads and parses DIR/adapter_config.json.
StatusOr<LoraConfig> LoadLoraConfig(const std::string& adapter_dir);

// One adapter_model.safetensors key, split. PEFT's get_peft_model_state_dict strips the adapter
// name, so keys read `base_model.model.<module>.lora_A.weight` (A: [r, in]) or `...lora_B.weight`
// (B: [out, r]); `<module>.weight` is the base checkpoint tensor it modifies.
struct LoraKey {
  std::string module;  // e.g. "model.language_model.layers.0.self_attn.q_proj"
  bool is_a = false;   // lora_A (true) or lora_B (false)
  std::string base_weight_name() const { return module + ".weight"; }
};

// Splits a key; errors name the key and the expected form (also for keys that still carry an
// adapter name, e.g. `lora_A.default.weight`, and for non-LoRA tensors such as `lora_embedding_A`).
StatusOr<LoraKey> ParseLoraKey(std::string_view key);

}  // namespace haloguard::model
