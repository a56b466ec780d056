// LoRA adapter loading (validation against the base's weight table) and the fp32 merge of the
// targeted matrices (mirrors PEFT's LoraLayer.get_delta_weight: B @ A * scaling, added to W).
#include "model/lora.h"

#include <algorithm>
#include <map>
#include <utility>

#include "core/bf16.h"
#include "core/log.h"

namespace haloguard::model {
namespace {

constexpr std::string_view kVlmPrefix = "model.language_model.";
constexpr std::string_view kTextPrefix = "model.";
constexpr const char* kWhere = "adapter: ";

Status Bad(const std::string& what) { return InvalidArgumentError(kWhere + what); }

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string ShapeStr(int64_t a, int64_t b) {
  std::string s = "[";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "[" + string
  s += std::to_string(a);
  s += ", ";
  s += std::to_string(b);
  s += "]";
  return s;
}

// The module name relative to the text model ("layers.3.self_attn.q_proj"), from either layout;
// empty if it has neither prefix.
std::string RelativeModule(std::string_view module) {
  if (StartsWith(module, kVlmPrefix)) return std::string(module.substr(kVlmPrefix.size()));
  if (StartsWith(module, kTextPrefix)) return std::string(module.substr(kTextPrefix.size()));
  return "";
}

// Modules the text model never runs (the vision tower, the MTP head): their factors are skipped.
bool IsOutsideTextModel(std::string_view module) {
  return StartsWith(module, "model.visual.") || StartsWith(module, "visual.") ||
         StartsWith(module, "mtp.");
}

bool IsEmbeddingOrHead(const std::string& rel, std::string_view module) {
  return rel == "embed_tokens" || module == "lm_head";
}

// Does target_modules select the projection `rel` (checked under both layouts' spellings)?
// PEFT's "all-linear" shorthand selects every linear layer but the output head.
bool Targeted(const LoraConfig& c, const std::string& rel) {
  if (c.target_regex == "all-linear") return true;
  return c.Targets(std::string(kVlmPrefix) + rel) || c.Targets(std::string(kTextPrefix) + rel);
}

struct Factors {
  const TensorInfo* a = nullptr;
  const TensorInfo* b = nullptr;
  std::string module;  // as spelt in the file
};

// Groups the file's tensors by relative module name; errors for bad keys, dtypes, unsupported or
// unknown modules.
StatusOr<std::map<std::string, Factors>> GroupFactors(
    const SafetensorsFile& file, const std::map<std::string, WeightMatrix*>& linear,
    int64_t num_layers, LoraAdapter* out) {
  std::map<std::string, Factors> by_module;
  for (const auto& [name, info] : file.tensors()) {
    HG_ASSIGN_OR_RETURN(LoraKey key, ParseLoraKey(name));
    if (IsOutsideTextModel(key.module)) {
      ++out->ignored_tensors;
      continue;
    }
    const std::string rel = RelativeModule(key.module);
    if (IsEmbeddingOrHead(rel, key.module)) {
      return Bad("module '" + key.module + "' is the " +
                 (rel == "embed_tokens" ? "token embedding" : "LM head") +
                 ", which is not supported; expected LoRA only on the decoder's linear "
                 "projections (q/k/v/o_proj, in_proj_*, out_proj, gate/up/down_proj)");
    }
    if (rel.empty() || linear.count(rel) == 0) {
      return Bad("module '" + key.module + "' is not a linear projection of the base model; "
                 "expected a decoder projection such as '" +
                 (linear.empty() ? std::string("layers.0.mlp.down_proj") : linear.begin()->first) +
                 "' under model.language_model. or model. (the base has " +
                 std::to_string(num_layers) + " layers)");
    }
    if (!IsFloatWeightDType(info.dtype)) {
      return Bad("tensor '" + name + "': dtype expected BF16, F16 or F32, got " + info.dtype_name);
    }
    if (info.shape.size() != 2) {
      return Bad("tensor '" + name + "': expected a 2-D tensor, got shape " + info.ShapeString());
    }
    Factors& f = by_module[rel];
    if (!f.module.empty() && f.module != key.module)
      return Bad("module '" + rel + "' appears twice, as '" + f.module + "' and '" + key.module + "'");
    f.module = key.module;
    (key.is_a ? f.a : f.b) = &info;
  }
  return by_module;
}

// A [r, in] and B [out, r] against the base [out, in] and the config's r.
Status CheckShapes(const std::string& module, const Factors& f, const WeightMatrix& base, int64_t r) {
  if (f.a == nullptr || f.b == nullptr) {
    return Bad("module '" + module + "': expected both lora_A and lora_B, found only " +
               (f.a ? "lora_A" : "lora_B"));
  }
  const std::string want_a = ShapeStr(r, base.cols), want_b = ShapeStr(base.rows, r);
  if (f.a->shape[0] != r || f.a->shape[1] != base.cols) {
    return Bad("module '" + module + "': lora_A expected [r, in] = " + want_a + " (base weight " +
               ShapeStr(base.rows, base.cols) + ", r = " + std::to_string(r) + "), got " +
               f.a->ShapeString());
  }
  if (f.b->shape[0] != base.rows || f.b->shape[1] != r) {
    return Bad("module '" + module + "': lora_B expected [out, r] = " + want_b + " (base weight " +
               ShapeStr(base.rows, base.cols) + ", r = " + std::to_string(r) + "), got " +
               f.b->ShapeString());
  }
  return OkStatus();
}

// target_modules against the file: no embedding / head target, no targeted projection without
// factors, no factors for an untargeted module.
Status CheckTargets(const LoraConfig& c, const std::string& prefix,
                    const std::vector<std::pair<std::string, WeightMatrix*>>& modules,
                    const std::map<std::string, Factors>& found) {
  for (const char* m : {"embed_tokens", "lm_head"}) {
    const std::string full = std::string(m) == "lm_head" ? "lm_head" : prefix + m;
    if (c.target_regex != "all-linear" && c.Targets(full)) {
      return Bad("adapter_config.json target_modules selects '" + full +
                 "', which is not supported; expected only the decoder's linear projections");
    }
  }
  for (const auto& [name, m] : modules) {
    const std::string rel = RelativeModule(name.substr(0, name.size() - 7));  // minus ".weight"
    const bool has = found.count(rel) > 0;
    if (Targeted(c, rel) && !has) {
      return Bad("adapter_config.json target_modules selects '" + prefix + rel +
                 "' but adapter_model.safetensors has no lora_A/lora_B for it (truncated or a "
                 "different base?)");
    }
    if (!Targeted(c, rel) && has) {
      return Bad("adapter_model.safetensors has factors for '" + found.at(rel).module +
                 "', which target_modules does not select");
    }
  }
  return OkStatus();
}

// out[i] = W[row, i] + scale * sum_k b[k] * A[k, i] for one row (k ascending: a fixed order).
void MergeRow(const WeightMatrix& w, int64_t row, const float* b, const std::vector<float>& a,
              int64_t r, float scale, std::vector<float>& acc, float* out) {
  const int64_t in = w.cols;
  std::fill(acc.begin(), acc.end(), 0.0f);
  for (int64_t k = 0; k < r; ++k) {
    const float bk = b[k];
    const float* ak = a.data() + k * in;
    for (int64_t i = 0; i < in; ++i) acc[i] += bk * ak[i];
  }
  const auto* u16 = static_cast<const uint16_t*>(w.data) + row * in;
  const auto* f32 = static_cast<const float*>(w.data) + row * in;
  for (int64_t i = 0; i < in; ++i) {
    float base = 0;
    switch (w.dtype) {
      case DType::kBF16: base = Bf16ToF32(u16[i]); break;
      case DType::kF16: base = F16ToF32(u16[i]); break;
      default: base = f32[i]; break;
    }
    out[i] = base + scale * acc[i];
  }
}

}  // namespace

std::vector<std::pair<std::string, WeightMatrix*>> LinearModules(const TextConfig& c,
                                                                 ModelWeights* w) {
  std::vector<std::pair<std::string, WeightMatrix*>> out;
  for (int64_t L = 0; L < c.num_hidden_layers; ++L) {
    LayerWeights& lw = w->layers[L];
    const std::string p = w->prefix + "layers." + std::to_string(L) + ".";
    if (c.is_full_attention(L)) {
      FullAttentionWeights& f = lw.full;
      for (auto [n, m] : {std::pair{"q_proj", &f.q_proj}, {"k_proj", &f.k_proj},
                          {"v_proj", &f.v_proj}, {"o_proj", &f.o_proj}})
        out.emplace_back(p + "self_attn." + n + ".weight", m);
    } else {
      LinearAttentionWeights& la = lw.linear;
      for (auto [n, m] : {std::pair{"in_proj_qkv", &la.in_proj_qkv}, {"in_proj_z", &la.in_proj_z},
                          {"in_proj_b", &la.in_proj_b}, {"in_proj_a", &la.in_proj_a},
                          {"out_proj", &la.out_proj}})
        out.emplace_back(p + "linear_attn." + n + ".weight", m);
    }
    for (auto [n, m] : {std::pair{"gate_proj", &lw.gate_proj}, {"up_proj", &lw.up_proj},
                        {"down_proj", &lw.down_proj}})
      out.emplace_back(p + "mlp." + n + ".weight", m);
  }
  return out;
}

StatusOr<LoraAdapter> LoadLoraAdapter(const std::string& dir, const TextConfig& c,
                                      ModelWeights* weights) {
  LoraAdapter ad;
  ad.dir = dir;
  HG_ASSIGN_OR_RETURN(ad.config, LoadLoraConfig(dir));
  HG_ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Open(dir + "/" + kLoraWeightsFile));
  ad.file = std::make_unique<SafetensorsFile>(std::move(file));
  const auto modules = LinearModules(c, weights);
  std::map<std::string, WeightMatrix*> linear;
  for (const auto& [name, m] : modules) linear[RelativeModule(name.substr(0, name.size() - 7))] = m;
  HG_ASSIGN_OR_RETURN(auto found, GroupFactors(*ad.file, linear, c.num_hidden_layers, &ad));
  if (found.empty()) return Bad(dir + "/adapter_model.safetensors: no LoRA factors for the text model");
  // Shapes first: an adapter for another base is refused naming a module and its shapes.
  for (const auto& [name, m] : modules) {
    const std::string rel = RelativeModule(name.substr(0, name.size() - 7));
    auto it = found.find(rel);
    if (it == found.end()) continue;
    HG_RETURN_IF_ERROR(CheckShapes(it->second.module, it->second, *m, ad.config.r));
    ad.modules.push_back({name, m, it->second.a, it->second.b});
  }
  HG_RETURN_IF_ERROR(CheckTargets(ad.config, weights->prefix, modules, found));
  if (ad.ignored_tensors > 0) {
    HG_LOG(INFO) << "adapter: " << ad.ignored_tensors
                 << " factors outside the text model (vision tower / MTP) ignored";
  }
  return ad;
}

std::vector<float> MergeLoraModule(ThreadPool& pool, const LoraAdapter& adapter, const LoraModule& m) {
  const int64_t r = adapter.config.r;
  const float scale = static_cast<float>(adapter.config.scale());
  const WeightMatrix& w = *m.base;
  const std::vector<float> a = ToF32(*m.a);  // [r, in]
  const std::vector<float> b = ToF32(*m.b);  // [out, r]
  std::vector<float> merged(static_cast<size_t>(w.rows * w.cols));
  pool.ParallelFor(0, w.rows, 16, [&](int64_t r0, int64_t r1, int) {
    std::vector<float> acc(static_cast<size_t>(w.cols));
    for (int64_t row = r0; row < r1; ++row)
      MergeRow(w, row, b.data() + row * r, a, r, scale, acc, merged.data() + row * w.cols);
  });
  return merged;
}

WeightMatrix F32Matrix(const std::vector<float>& v, int64_t rows, int64_t cols) {
  WeightMatrix m;
  m.data = v.data();
  m.dtype = DType::kF32;
  m.rows = rows;
  m.cols = cols;
  return m;
}



LoraSidePath::LoraSidePath(const LoraAdapter& adapter) {
  const int64_t r = adapter.config.r;
  const float scale = static_cast<float>(adapter.config.scale());
  for (const LoraModule& m : adapter.modules) {
    Factors& f = by_matrix_[m.base];
    f.a = ToF32(*m.a);
    const std::vector<float> b = ToF32(*m.b);  // [out, r]
    const int64_t out = m.base->rows;
    f.bt.resize(b.size());
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k = 0; k < r; ++k) f.bt[k * out + o] = scale * b[o * r + k];
    f.bt_cols = out;
    f.a_view = F32Matrix(f.a, r, m.base->cols);
    bytes_ += (f.a.size() + f.bt.size()) * sizeof(float);
  }
}

void LoraSidePath::Apply(ThreadPool& pool, const WeightMatrix& w, const float* x, int64_t T,
                         float* y) const {
  auto it = by_matrix_.find(&w);
  if (it == by_matrix_.end()) return;
  const Factors& f = it->second;
  const int64_t r = f.a_view.rows, in = f.a_view.cols, out = f.bt_cols;
  thread_local std::vector<float> scratch;  // this (calling) thread's; the tasks get a pointer
  scratch.resize(static_cast<size_t>(T * r));
  float* low = scratch.data();  // [T, r]
  // Token rows in chunks, one chunk per task (the MatMul inside a task runs inline): per row,
  // low = x A^T (r dot products), then y += low (scale B)^T as r axpys over the output row with
  // (scale B)^T [r, out] contiguous; k ascending, so each element has one fixed order.
  pool.ParallelFor(0, T, 8, [&](int64_t t0, int64_t t1, int) {
    kernels::MatMul(pool, x + t0 * in, t1 - t0, f.a_view, low + t0 * r);
    // Output columns in blocks, so the block of (s B)^T ([r, 256] floats, 16 KiB at r = 16)
    // stays in L1 across the chunk's rows instead of streaming all of it once per row.
    constexpr int64_t kBlock = 256;
    for (int64_t o0 = 0; o0 < out; o0 += kBlock) {
      const int64_t o1 = std::min(out, o0 + kBlock);
      for (int64_t t = t0; t < t1; ++t) {
        float* yt = y + t * out;
        for (int64_t k = 0; k < r; ++k) {
          const float l = low[t * r + k];
          const float* bk = f.bt.data() + k * out;
          for (int64_t o = o0; o < o1; ++o) yt[o] += l * bk[o];
        }
      }
    }
  });
}

}  // namespace haloguard::model
