// Internal: the per-layer blocks of the forward pass (mixers and MLP) over a batch laid out as
// consecutive rows of one [N, D] activation matrix. Used only by qwen35.cc.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "model/config.h"
#include "model/qwen35.h"
#include "model/weights.h"

namespace haloguard::model::internal {

// Where one sequence sits in the batch's activation rows.
struct SeqSlice {
  InferenceState* state;
  int64_t row0;   // first row in [N, ...] activations
  int64_t T;      // its new tokens
  int64_t P;      // tokens already in its state (position of the first new token)
  bool commit;
};

// out [N, D] = GatedDeltaNet(x [N, D]) for layer L (mirrors Qwen3_5GatedDeltaNet.forward).
void LinearAttentionBlock(ThreadPool& pool, const TextConfig& c, const LinearAttentionWeights& w,
                          int64_t L, const std::vector<SeqSlice>& seqs, const float* x, int64_t N,
                          kernels::DeltaRuleForm form, float* out);

// out [N, D] = gated GQA attention(x [N, D]) for layer L (mirrors Qwen3_5Attention.forward).
void FullAttentionBlock(ThreadPool& pool, const TextConfig& c, const FullAttentionWeights& w,
                        int64_t L, const std::vector<SeqSlice>& seqs, const float* x, int64_t N,
                        float* out);

// out [N, D] = down(silu(gate(x)) * up(x)) (mirrors Qwen3_5MLP.forward).
void MlpBlock(ThreadPool& pool, const TextConfig& c, const LayerWeights& w, const float* x,
              int64_t N, float* out);

}  // namespace haloguard::model::internal
