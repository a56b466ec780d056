// Weight table, loading with validation, and load-time folds (1 + w, -exp(A_log), conv squeeze).
#include "model/weights.h"

#include <cmath>

#include "core/bf16.h"

namespace haloguard::model {
namespace {

constexpr const char* kVlmPrefix = "model.language_model.";
constexpr const char* kTextPrefix = "model.";

void AddLayer(const TextConfig& c, int64_t L, std::vector<WeightSpec>& t) {
  const std::string p = "layers." + std::to_string(L) + ".";
  const int64_t D = c.hidden_size, F = c.intermediate_size;
  t.push_back({p + "input_layernorm.weight", {D}, WeightRole::kZeroCentredNorm});
  t.push_back({p + "post_attention_layernorm.weight", {D}, WeightRole::kZeroCentredNorm});
  if (c.is_full_attention(L)) {
    const int64_t Dh = c.head_dim, Nq = c.num_attention_heads, Nkv = c.num_key_value_heads;
    const std::string a = p + "self_attn.";
    t.push_back({a + "q_proj.weight", {Nq * Dh * 2, D}});
    t.push_back({a + "k_proj.weight", {Nkv * Dh, D}});
    t.push_back({a + "v_proj.weight", {Nkv * Dh, D}});
    t.push_back({a + "o_proj.weight", {D, Nq * Dh}});
    t.push_back({a + "q_norm.weight", {Dh}, WeightRole::kZeroCentredNorm});
    t.push_back({a + "k_norm.weight", {Dh}, WeightRole::kZeroCentredNorm});
  } else {
    const int64_t Hv = c.linear_num_value_heads, Dv = c.linear_value_head_dim;
    const std::string a = p + "linear_attn.";
    t.push_back({a + "in_proj_qkv.weight", {c.linear_conv_dim(), D}});
    t.push_back({a + "in_proj_z.weight", {Hv * Dv, D}});
    t.push_back({a + "in_proj_b.weight", {Hv, D}});
    t.push_back({a + "in_proj_a.weight", {Hv, D}});
    t.push_back({a + "conv1d.weight", {c.linear_conv_dim(), 1, c.linear_conv_kernel_dim},
                 WeightRole::kConv});
    t.push_back({a + "dt_bias", {Hv}, WeightRole::kDtBias});
    t.push_back({a + "A_log", {Hv}, WeightRole::kALog});
    t.push_back({a + "norm.weight", {Dv}, WeightRole::kGatedNorm});
    t.push_back({a + "out_proj.weight", {D, Hv * Dv}});
  }
  t.push_back({p + "mlp.gate_proj.weight", {F, D}});
  t.push_back({p + "mlp.up_proj.weight", {F, D}});
  t.push_back({p + "mlp.down_proj.weight", {D, F}});
}

std::string ShapeStr(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

bool IsIgnored(const std::string& name) {
  return name.rfind("model.visual.", 0) == 0 || name.rfind("mtp.", 0) == 0 ||
         name.rfind("visual.", 0) == 0;
}

std::vector<float> Fold(const TensorInfo& t, WeightRole role) {
  std::vector<float> v = ToF32(t);
  // Folds computed in fp32 (reference spec §2.1: 1 + w in bf16 would lose ~3 bits near 0).
  if (role == WeightRole::kZeroCentredNorm) {
    for (float& x : v) x = 1.0f + x;
  } else if (role == WeightRole::kALog) {
    for (float& x : v) x = -std::exp(x);
  }
  return v;
}

// Finds the prefix under which the text model is stored.
StatusOr<std::string> DetectPrefix(const TensorStore& store) {
  if (store.Find(std::string(kVlmPrefix) + "embed_tokens.weight")) return std::string(kVlmPrefix);
  if (store.Find(std::string(kTextPrefix) + "embed_tokens.weight")) return std::string(kTextPrefix);
  return NotFoundError(
      "checkpoint: missing tensor 'model.language_model.embed_tokens.weight' (or "
      "'model.embed_tokens.weight' for text-only checkpoints)");
}

Status CheckTensor(const WeightSpec& spec, const std::string& full, const TensorInfo& t) {
  if (!IsFloatWeightDType(t.dtype)) {
    return InvalidArgumentError("tensor '" + full + "': dtype " + t.dtype_name +
                                "; expected BF16, F16 or F32");
  }
  if (t.shape != spec.shape) {
    return InvalidArgumentError("tensor '" + full + "': shape " + t.ShapeString() +
                                "; expected " + ShapeStr(spec.shape) +
                                " (from config.json); hint: does config.json match the weights?");
  }
  return OkStatus();
}

// Routes a validated tensor to its slot in ModelWeights.
void Assign(const WeightSpec& spec, const TensorInfo& t, const TextConfig& c, ModelWeights* w) {
  const std::string& n = spec.name;
  if (n == "embed_tokens.weight") { w->embed_tokens = AsMatrix(t); return; }
  if (n == "lm_head.weight") { w->lm_head = AsMatrix(t); return; }
  if (n == "norm.weight") { w->norm = Fold(t, spec.role); return; }
  // "layers.L.rest"
  const size_t dot = n.find('.', 7);
  const int64_t L = std::stoll(n.substr(7, dot - 7));
  const std::string rest = n.substr(dot + 1);
  LayerWeights& lw = w->layers[L];
  LinearAttentionWeights& la = lw.linear;
  FullAttentionWeights& fa = lw.full;
  if (rest == "input_layernorm.weight") lw.input_layernorm = Fold(t, spec.role);
  else if (rest == "post_attention_layernorm.weight") lw.post_attention_layernorm = Fold(t, spec.role);
  else if (rest == "mlp.gate_proj.weight") lw.gate_proj = AsMatrix(t);
  else if (rest == "mlp.up_proj.weight") lw.up_proj = AsMatrix(t);
  else if (rest == "mlp.down_proj.weight") lw.down_proj = AsMatrix(t);
  else if (rest == "self_attn.q_proj.weight") fa.q_proj = AsMatrix(t);
  else if (rest == "self_attn.k_proj.weight") fa.k_proj = AsMatrix(t);
  else if (rest == "self_attn.v_proj.weight") fa.v_proj = AsMatrix(t);
  else if (rest == "self_attn.o_proj.weight") fa.o_proj = AsMatrix(t);
  else if (rest == "self_attn.q_norm.weight") fa.q_norm = Fold(t, spec.role);
  else if (rest == "self_attn.k_norm.weight") fa.k_norm = Fold(t, spec.role);
  else if (rest == "linear_attn.in_proj_qkv.weight") la.in_proj_qkv = AsMatrix(t);
  else if (rest == "linear_attn.in_proj_z.weight") la.in_proj_z = AsMatrix(t);
  else if (rest == "linear_attn.in_proj_b.weight") la.in_proj_b = AsMatrix(t);
  else if (rest == "linear_attn.in_proj_a.weight") la.in_proj_a = AsMatrix(t);
  else if (rest == "linear_attn.out_proj.weight") la.out_proj = AsMatrix(t);
  else if (rest == "linear_attn.conv1d.weight") la.conv = Fold(t, spec.role);
  else if (rest == "linear_attn.dt_bias") la.dt_bias = Fold(t, spec.role);
  else if (rest == "linear_attn.A_log") la.neg_a = Fold(t, spec.role);
  else if (rest == "linear_attn.norm.weight") la.norm = Fold(t, spec.role);
  (void)c;
}

}  // namespace

std::vector<float> ToF32(const TensorInfo& t) {
  const int64_t n = t.numel();
  std::vector<float> out(n);
  const auto* u16 = reinterpret_cast<const uint16_t*>(t.data);
  const auto* f32 = reinterpret_cast<const float*>(t.data);
  for (int64_t i = 0; i < n; ++i) {
    switch (t.dtype) {
      case DType::kBF16: out[i] = Bf16ToF32(u16[i]); break;
      case DType::kF16: out[i] = F16ToF32(u16[i]); break;
      default: out[i] = f32[i]; break;
    }
  }
  return out;
}

WeightMatrix AsMatrix(const TensorInfo& t) {
  WeightMatrix m;
  m.data = t.data;
  m.dtype = t.dtype;
  m.rows = t.shape.size() >= 2 ? t.shape[0] : 1;
  m.cols = t.shape.empty() ? 1 : t.numel() / m.rows;
  return m;
}

std::vector<WeightSpec> WeightTable(const TextConfig& c) {
  std::vector<WeightSpec> t;
  t.push_back({"embed_tokens.weight", {c.vocab_size, c.hidden_size}});
  for (int64_t L = 0; L < c.num_hidden_layers; ++L) AddLayer(c, L, t);
  t.push_back({"norm.weight", {c.hidden_size}, WeightRole::kZeroCentredNorm});
  t.push_back({"lm_head.weight", {c.vocab_size, c.hidden_size}, WeightRole::kMatrix,
               /*required=*/!c.tie_word_embeddings, /*top_level=*/true});
  return t;
}

StatusOr<ModelWeights> LoadWeights(const TensorStore& store, const TextConfig& c) {
  ModelWeights w;
  HG_ASSIGN_OR_RETURN(w.prefix, DetectPrefix(store));
  w.layers.resize(c.num_hidden_layers);
  std::map<std::string, bool> expected;
  for (const WeightSpec& spec : WeightTable(c)) {
    const std::string full = spec.top_level ? spec.name : w.prefix + spec.name;
    expected[full] = true;
    const TensorInfo* t = store.Find(full);
    if (t == nullptr) {
      if (!spec.required) continue;
      std::string hint = spec.name == "lm_head.weight"
                             ? " (config.json has tie_word_embeddings=false)" : "";
      return NotFoundError("checkpoint: missing tensor '" + full + "'" + hint);
    }
    HG_RETURN_IF_ERROR(CheckTensor(spec, full, *t));
    Assign(spec, *t, c, &w);
  }
  for (const auto& [name, info] : store.all()) {
    if (expected.count(name) || IsIgnored(name)) continue;
    return InvalidArgumentError("checkpoint: unexpected tensor '" + name + "' " +
                                info->ShapeString() +
                                "; not part of the Qwen3.5 text model described by config.json");
  }
  w.lm_head_tied = store.Find("lm_head.weight") == nullptr;
  if (w.lm_head_tied) w.lm_head = w.embed_tokens;
  return w;
}

WeightStats ComputeWeightStats(const TensorStore& store, const TextConfig& c) {
  WeightStats s;
  std::string prefix = DetectPrefix(store).ok() ? *DetectPrefix(store) : kVlmPrefix;
  for (const WeightSpec& spec : WeightTable(c)) {
    const TensorInfo* t = store.Find(spec.top_level ? spec.name : prefix + spec.name);
    if (t == nullptr) continue;
    s.num_params += t->numel();
    s.num_bytes += static_cast<int64_t>(t->nbytes);
    s.num_tensors += 1;
  }
  return s;
}

}  // namespace haloguard::model
