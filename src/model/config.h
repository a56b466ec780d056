// Qwen3.5 text-decoder configuration, parsed from a Hugging Face config.json: nested
// (`text_config` of Qwen3_5ForConditionalGeneration, model_type qwen3_5) or flat (qwen3_5_text).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace haloguard::model {

enum class LayerType { kLinearAttention, kFullAttention };

// Field names keep the HF spelling so a grep works across both codebases.
struct TextConfig {
  std::string model_type;  // as written in config.json ("qwen3_5" or "qwen3_5_text")
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 256;
  int64_t linear_num_key_heads = 16;
  int64_t linear_num_value_heads = 32;
  int64_t linear_key_head_dim = 128;
  int64_t linear_value_head_dim = 128;
  int64_t linear_conv_kernel_dim = 4;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  double partial_rotary_factor = 0.25;
  bool tie_word_embeddings = false;  // true if set at either level
  std::vector<LayerType> layer_types;
  int64_t eos_token_id = -1;  // first eos id if given (informational)

  // Derived sizes.
  int64_t rotary_dim() const { return static_cast<int64_t>(head_dim * partial_rotary_factor); }
  int64_t linear_key_dim() const { return linear_num_key_heads * linear_key_head_dim; }
  int64_t linear_value_dim() const { return linear_num_value_heads * linear_value_head_dim; }
  int64_t linear_conv_dim() const { return 2 * linear_key_dim() + linear_value_dim(); }
  int64_t num_full_attention_layers() const;
  int64_t num_linear_attention_layers() const { return num_hidden_layers - num_full_attention_layers(); }
  bool is_full_attention(int64_t layer) const {
    return layer_types[layer] == LayerType::kFullAttention;
  }
};

// Parses config.json text. Errors (INVALID_ARGUMENT) name the key: malformed JSON, unsupported
// model_type / hidden_act / rope_type / attention_bias, missing or out-of-range sizes, heads that
// do not divide, layer_types of the wrong length or with unknown entries.
StatusOr<TextConfig> ParseConfig(std::string_view json_text);

// Reads and parses DIR/config.json.
StatusOr<TextConfig> LoadConfig(const std::string& model_dir);

// Checks internal consistency (also called by ParseConfig).
Status ValidateConfig(const TextConfig& c);

// One line per field, for `haloguard inspect`.
std::string DescribeConfig(const TextConfig& c);

}  // namespace haloguard::model
