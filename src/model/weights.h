// The Qwen3.5 weight table: one declaration of every text-model tensor (HF name, shape from the
// config, required or not) that drives loading, shape/dtype validation, random checkpoint
// generation and `haloguard inspect`. Matrices stay in the mapped files in their stored dtype.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "kernels/kernels.h"
#include "model/config.h"
#include "model/safetensors.h"

namespace haloguard::model {

// Matrices are used in place through kernels::WeightMatrix ([rows, cols], stored dtype).
using kernels::WeightMatrix;

// How a tensor is initialised by make-checkpoint (and which load-time fold applies).
enum class WeightRole {
  kMatrix,        // projection / embedding: random normal, std 1/sqrt(fan_in) (0.02 for embeddings)
  kZeroCentredNorm,  // (1 + w) RMSNorm weight: small noise around 0
  kGatedNorm,     // plain RMSNorm weight of the GDN gated norm: noise around 1
  kALog,          // log(A), A ~ U(1, 16) in HF init
  kDtBias,        // dt_bias, HF init ones
  kConv,          // depthwise conv taps [C, 1, K]
};

struct WeightSpec {
  std::string name;            // HF name without the model prefix, e.g. "layers.0.mlp.up_proj.weight"
  std::vector<int64_t> shape;  // PyTorch order
  WeightRole role = WeightRole::kMatrix;
  bool required = true;
  bool top_level = false;      // "lm_head.weight" lives outside the model prefix
};

// A tensor's values widened to fp32 ([numel], BF16/F16/F32 stored; tiny tensors and LoRA factors).
std::vector<float> ToF32(const TensorInfo& t);
// A 2-D (or flattened) tensor as a matrix view [shape[0], numel / shape[0]] into its mapping.
WeightMatrix AsMatrix(const TensorInfo& t);

// Every tensor of the text model for `c`, in checkpoint order (globals, then layers).
std::vector<WeightSpec> WeightTable(const TextConfig& c);

// Weights of one Gated DeltaNet mixer (folded vectors are owned fp32 copies; tiny).
struct LinearAttentionWeights {
  WeightMatrix in_proj_qkv;  // [2*Hk*Dk + Hv*Dv, D]
  WeightMatrix in_proj_z;    // [Hv*Dv, D]
  WeightMatrix in_proj_b;    // [Hv, D]
  WeightMatrix in_proj_a;    // [Hv, D]
  WeightMatrix out_proj;     // [D, Hv*Dv]
  std::vector<float> conv;   // [C, K] f32 taps (conv1d.weight squeezed)
  std::vector<float> neg_a;  // [Hv] f32, -exp(A_log) (folded at load)
  std::vector<float> dt_bias;  // [Hv] f32
  std::vector<float> norm;     // [Dv] f32, gated-norm weight (plain, not 1+w)
};

struct FullAttentionWeights {
  WeightMatrix q_proj;  // [Nq*Dh*2, D], per head: Dh query rows then Dh gate rows
  WeightMatrix k_proj;  // [Nkv*Dh, D]
  WeightMatrix v_proj;  // [Nkv*Dh, D]
  WeightMatrix o_proj;  // [D, Nq*Dh]
  std::vector<float> q_norm;  // [Dh] f32, folded 1 + w
  std::vector<float> k_norm;  // [Dh] f32, folded 1 + w
};

struct LayerWeights {
  std::vector<float> input_layernorm;           // [D] f32, folded 1 + w
  std::vector<float> post_attention_layernorm;  // [D] f32, folded 1 + w
  WeightMatrix gate_proj, up_proj;              // [F, D]
  WeightMatrix down_proj;                       // [D, F]
  LinearAttentionWeights linear;                // valid for linear_attention layers
  FullAttentionWeights full;                    // valid for full_attention layers
};

struct ModelWeights {
  WeightMatrix embed_tokens;  // [V, D]
  WeightMatrix lm_head;       // [V, D]; == embed_tokens when tied
  bool lm_head_tied = false;
  std::vector<float> norm;    // [D] f32, folded 1 + w
  std::vector<LayerWeights> layers;
  std::string prefix;         // "model.language_model." or "model."
};

// Loads every tensor of WeightTable(c) from `store`: checks presence (missing -> NOT_FOUND naming
// the tensor), shape and dtype (INVALID_ARGUMENT: "expected [..] BF16|F32|F16, got ..."), rejects
// unexpected text-model tensors (ignores model.visual.* and mtp.*), and folds the small vectors.
// `store` must outlive the returned weights.
StatusOr<ModelWeights> LoadWeights(const TensorStore& store, const TextConfig& c);

// Parameter count and stored bytes of the text model as loaded (tied head counted once).
struct WeightStats {
  int64_t num_params = 0;
  int64_t num_bytes = 0;
  int64_t num_tensors = 0;
};
WeightStats ComputeWeightStats(const TensorStore& store, const TextConfig& c);

}  // namespace haloguard::model
