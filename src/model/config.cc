// config.json parsing for Qwen3.5 (mirrors Qwen3_5TextConfig / Qwen3_5Config defaults in
// transformers' configuration_qwen3_5.py).
#include "model/config.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/mapped_file.h"

namespace haloguard::model {
namespace {

using Json = nlohmann::json;

// Upper bounds that no real checkpoint approaches; they stop a hostile config from asking for
// absurd allocations before any tensor is checked.
constexpr int64_t kMaxDim = 1 << 17;
constexpr int64_t kMaxVocab = 1 << 24;
constexpr int64_t kMaxLayers = 1024;

Status KeyError(const std::string& key, const std::string& expected, const Json& got) {
  return InvalidArgumentError("config.json: key '" + key + "': expected " + expected + ", got " +
                              got.dump());
}

Status GetInt(const Json& obj, const std::string& key, bool required, int64_t lo, int64_t hi,
              int64_t* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return InvalidArgumentError("config.json: missing required key '" + key + "'");
    return OkStatus();
  }
  if (!it->is_number_integer()) return KeyError(key, "an integer", *it);
  int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) {
    return KeyError(key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
                    *it);
  }
  *out = v;
  return OkStatus();
}

Status GetDouble(const Json& obj, const std::string& key, double* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return OkStatus();
  if (!it->is_number()) return KeyError(key, "a number", *it);
  *out = it->get<double>();
  return OkStatus();
}

// Returns obj[key] if it is a string, else `fallback` (never throws).
std::string GetStr(const Json& obj, const std::string& key, const std::string& fallback) {
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : fallback;
}

bool GetBool(const Json& obj, const std::string& key, bool fallback) {
  auto it = obj.find(key);
  return (it != obj.end() && it->is_boolean()) ? it->get<bool>() : fallback;
}

Status ParseRope(const Json& text, TextConfig* c) {
  // Legacy top-level keys first; rope_parameters (transformers v5) overrides them.
  HG_RETURN_IF_ERROR(GetDouble(text, "rope_theta", &c->rope_theta));
  HG_RETURN_IF_ERROR(GetDouble(text, "partial_rotary_factor", &c->partial_rotary_factor));
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    auto it = text.find(key);
    if (it == text.end() || it->is_null()) continue;
    if (!it->is_object()) return KeyError(key, "an object", *it);
    const Json& rp = *it;
    std::string type = GetStr(rp, "rope_type", GetStr(rp, "type", "default"));
    if (type != "default" && type != "mrope") {
      return InvalidArgumentError(std::string("config.json: ") + key + ".rope_type: expected "
                                  "\"default\" (text-only Qwen3.5 uses plain partial RoPE), got \"" +
                                  type + "\"");
    }
    HG_RETURN_IF_ERROR(GetDouble(rp, "rope_theta", &c->rope_theta));
    HG_RETURN_IF_ERROR(GetDouble(rp, "partial_rotary_factor", &c->partial_rotary_factor));
  }
  if (!(c->rope_theta > 1.0)) return InvalidArgumentError("config.json: rope_theta must be > 1");
  if (!(c->partial_rotary_factor > 0.0 && c->partial_rotary_factor <= 1.0)) {
    return InvalidArgumentError("config.json: partial_rotary_factor must be in (0, 1]");
  }
  return OkStatus();
}

Status ParseLayerTypes(const Json& text, TextConfig* c) {
  auto it = text.find("layer_types");
  if (it != text.end() && !it->is_null()) {
    if (!it->is_array()) return KeyError("layer_types", "an array of strings", *it);
    for (const Json& e : *it) {
      std::string s = e.is_string() ? e.get<std::string>() : "";
      if (s == "linear_attention") c->layer_types.push_back(LayerType::kLinearAttention);
      else if (s == "full_attention" || s == "attention")
        c->layer_types.push_back(LayerType::kFullAttention);
      else return KeyError("layer_types[]", "\"linear_attention\" or \"full_attention\"", e);
    }
    return OkStatus();
  }
  int64_t interval = 4;  // HF default full_attention_interval
  HG_RETURN_IF_ERROR(GetInt(text, "full_attention_interval", false, 1, kMaxLayers, &interval));
  for (int64_t i = 0; i < c->num_hidden_layers; ++i) {
    c->layer_types.push_back(((i + 1) % interval) ? LayerType::kLinearAttention
                                                  : LayerType::kFullAttention);
  }
  return OkStatus();
}

Status ParseSizes(const Json& t, TextConfig* c) {
  HG_RETURN_IF_ERROR(GetInt(t, "vocab_size", true, 1, kMaxVocab, &c->vocab_size));
  HG_RETURN_IF_ERROR(GetInt(t, "hidden_size", true, 1, kMaxDim, &c->hidden_size));
  HG_RETURN_IF_ERROR(GetInt(t, "intermediate_size", true, 1, kMaxDim * 4, &c->intermediate_size));
  HG_RETURN_IF_ERROR(GetInt(t, "num_hidden_layers", true, 1, kMaxLayers, &c->num_hidden_layers));
  HG_RETURN_IF_ERROR(GetInt(t, "num_attention_heads", true, 1, 4096, &c->num_attention_heads));
  HG_RETURN_IF_ERROR(GetInt(t, "num_key_value_heads", true, 1, 4096, &c->num_key_value_heads));
  HG_RETURN_IF_ERROR(GetInt(t, "head_dim", false, 2, 4096, &c->head_dim));
  HG_RETURN_IF_ERROR(GetInt(t, "linear_num_key_heads", false, 1, 4096, &c->linear_num_key_heads));
  HG_RETURN_IF_ERROR(
      GetInt(t, "linear_num_value_heads", false, 1, 4096, &c->linear_num_value_heads));
  HG_RETURN_IF_ERROR(GetInt(t, "linear_key_head_dim", false, 1, 4096, &c->linear_key_head_dim));
  HG_RETURN_IF_ERROR(
      GetInt(t, "linear_value_head_dim", false, 1, 4096, &c->linear_value_head_dim));
  HG_RETURN_IF_ERROR(
      GetInt(t, "linear_conv_kernel_dim", false, 1, 64, &c->linear_conv_kernel_dim));
  HG_RETURN_IF_ERROR(GetDouble(t, "rms_norm_eps", &c->rms_norm_eps));
  return OkStatus();
}

Status CheckUnsupported(const Json& t) {
  std::string act = GetStr(t, "hidden_act", "silu");
  if (act != "silu") {
    return InvalidArgumentError("config.json: hidden_act: expected \"silu\", got \"" + act + "\"");
  }
  if (GetBool(t, "attention_bias", false)) {
    return InvalidArgumentError("config.json: attention_bias: expected false (Qwen3.5 has no biases)");
  }
  return OkStatus();
}

void ParseEos(const Json& t, TextConfig* c) {
  auto it = t.find("eos_token_id");
  if (it == t.end()) return;
  if (it->is_number_integer()) c->eos_token_id = it->get<int64_t>();
  else if (it->is_array() && !it->empty() && (*it)[0].is_number_integer())
    c->eos_token_id = (*it)[0].get<int64_t>();
}

}  // namespace

int64_t TextConfig::num_full_attention_layers() const {
  int64_t n = 0;
  for (LayerType t : layer_types) n += (t == LayerType::kFullAttention);
  return n;
}

StatusOr<TextConfig> ParseConfig(std::string_view json_text) {
  Json top = Json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (top.is_discarded()) return InvalidArgumentError("config.json: not valid JSON");
  if (!top.is_object()) return InvalidArgumentError("config.json: expected a JSON object");
  TextConfig c;
  c.model_type = GetStr(top, "model_type", "");
  const bool nested = top.contains("text_config");
  const Json& text = nested ? *top.find("text_config") : top;
  if (!text.is_object()) return KeyError("text_config", "an object", text);
  if (c.model_type != "qwen3_5" && c.model_type != "qwen3_5_text") {
    return InvalidArgumentError("config.json: model_type: expected \"qwen3_5\" or \"qwen3_5_text\", got \"" +
                                c.model_type + "\"");
  }
  HG_RETURN_IF_ERROR(CheckUnsupported(text));
  HG_RETURN_IF_ERROR(ParseSizes(text, &c));
  HG_RETURN_IF_ERROR(ParseRope(text, &c));
  HG_RETURN_IF_ERROR(ParseLayerTypes(text, &c));
  c.tie_word_embeddings = GetBool(top, "tie_word_embeddings", false) ||
                          (nested && GetBool(text, "tie_word_embeddings", false));
  ParseEos(text, &c);
  HG_RETURN_IF_ERROR(ValidateConfig(c));
  return c;
}

StatusOr<TextConfig> LoadConfig(const std::string& model_dir) {
  HG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(model_dir + "/config.json", 16u << 20));
  return ParseConfig(text);
}

Status ValidateConfig(const TextConfig& c) {
  auto bad = [](const std::string& m) { return InvalidArgumentError("config.json: " + m); };
  if (static_cast<int64_t>(c.layer_types.size()) != c.num_hidden_layers) {
    return bad("layer_types has " + std::to_string(c.layer_types.size()) +
               " entries; expected num_hidden_layers = " + std::to_string(c.num_hidden_layers));
  }
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    return bad("num_attention_heads (" + std::to_string(c.num_attention_heads) +
               ") must be a multiple of num_key_value_heads (" +
               std::to_string(c.num_key_value_heads) + ")");
  }
  if (c.linear_num_value_heads % c.linear_num_key_heads != 0) {
    return bad("linear_num_value_heads (" + std::to_string(c.linear_num_value_heads) +
               ") must be a multiple of linear_num_key_heads (" +
               std::to_string(c.linear_num_key_heads) + ")");
  }
  const int64_t rot = c.rotary_dim();
  if (rot < 2 || rot % 2 != 0 || rot > c.head_dim) {
    return bad("rotary dim head_dim * partial_rotary_factor = " + std::to_string(rot) +
               "; expected an even number in [2, head_dim]");
  }
  if (!(c.rms_norm_eps > 0 && c.rms_norm_eps < 1)) return bad("rms_norm_eps must be in (0, 1)");
  return OkStatus();
}

std::string DescribeConfig(const TextConfig& c) {
  std::ostringstream os;
  os << "model_type: " << c.model_type << "\n"
     << "vocab_size: " << c.vocab_size << "\nhidden_size: " << c.hidden_size
     << "\nintermediate_size: " << c.intermediate_size
     << "\nnum_hidden_layers: " << c.num_hidden_layers << " (" << c.num_linear_attention_layers()
     << " linear_attention, " << c.num_full_attention_layers() << " full_attention)"
     << "\nnum_attention_heads / num_key_value_heads / head_dim: " << c.num_attention_heads
     << " / " << c.num_key_value_heads << " / " << c.head_dim
     << "\nlinear_num_key_heads / linear_num_value_heads: " << c.linear_num_key_heads << " / "
     << c.linear_num_value_heads << "\nlinear_key_head_dim / linear_value_head_dim: "
     << c.linear_key_head_dim << " / " << c.linear_value_head_dim
     << "\nlinear_conv_kernel_dim: " << c.linear_conv_kernel_dim
     << "\nrope_theta: " << c.rope_theta << " (rotary dim " << c.rotary_dim() << ")"
     << "\nrms_norm_eps: " << c.rms_norm_eps
     << "\ntie_word_embeddings: " << (c.tie_word_embeddings ? "true" : "false") << "\n";
  return os.str();
}

}  // namespace haloguard::model
