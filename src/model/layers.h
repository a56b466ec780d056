// Internal: the per-layer blocks of the forward pass (mixers and MLP) over a batch laid out as
// consecutive rows of one [N, D] activation matrix. Used only by qwen35.cc. Blocks allocate
// nothing: their scratch is carved from the caller's workspace (sizes from *ScratchFloats).
#pragma once

#include <cstdint>
#include <vector>

#include "core/clock.h"
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

// Adds the wall time of its scope to one ForwardProfile field; free when the profile is null.
class StageTimer {
 public:
  StageTimer(ForwardProfile* p, double ForwardProfile::*field) : p_(p), field_(field) {
    if (p_) t0_ = Clock::now();
  }
  ~StageTimer() {
    if (p_) p_->*field_ += SecondsSince(t0_);
  }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  ForwardProfile* p_;
  double ForwardProfile::*field_;
  Clock::time_point t0_;
};

// Everything a block needs besides its weights and rows.
struct BlockContext {
  ThreadPool& pool;
  const TextConfig& c;
  const std::vector<SeqSlice>& seqs;
  int64_t N;  // rows in the batch
  ForwardProfile* profile;
  const LoraSidePath* lora = nullptr;  // the adapter's side path (docs/LORA.md), if any
  // RoPE cos/sin tables of every sequence's positions, shared by all full-attention layers:
  // sequence s's are rope + s.row0 * R ([s.T, R/2] cos, then [s.T, R/2] sin; R = rotary_dim).
  const float* rope = nullptr;
};

// Fills the RoPE tables BlockContext::rope describes, [N, R] floats.
void ComputeRopeTables(const TextConfig& c, const std::vector<SeqSlice>& seqs, float* rope);

// y [N, w.rows] = x [N, w.cols] · W^T, plus the LoRA side path's term when W is targeted.
inline void Project(const BlockContext& b, const float* x, int64_t N, const WeightMatrix& w,
                    float* y) {
  kernels::MatMul(b.pool, x, N, w, y);
  if (b.lora != nullptr) b.lora->Apply(b.pool, w, x, N, y);
}

// fn(r0, r1) over row ranges of [0, rows) on the pool: row-wise ops (norms, gates) whose rows
// are independent; chunks of >= `grain` rows keep the dispatch cost small.
template <class Fn>
void ParallelRows(ThreadPool& pool, int64_t rows, int64_t grain, Fn fn) {
  pool.ParallelFor(0, rows, grain, [&](int64_t r0, int64_t r1, int) { fn(r0, r1); });
}

int64_t LinearAttentionScratchFloats(const TextConfig& c, int64_t N);
int64_t FullAttentionScratchFloats(const TextConfig& c, int64_t N);
int64_t MlpScratchFloats(const TextConfig& c, int64_t N);

// out [N, D] = GatedDeltaNet(x [N, D]) for layer L (mirrors Qwen3_5GatedDeltaNet.forward).
void LinearAttentionBlock(const BlockContext& b, const LinearAttentionWeights& w, int64_t L,
                          const float* x, kernels::DeltaRuleForm form, float* scratch, float* out);

// out [N, D] = gated GQA attention(x [N, D]) for layer L (mirrors Qwen3_5Attention.forward).
void FullAttentionBlock(const BlockContext& b, const FullAttentionWeights& w, int64_t L,
                        const float* x, float* scratch, float* out);

// out [N, D] = down(silu(gate(x)) * up(x)) (mirrors Qwen3_5MLP.forward).
void MlpBlock(const BlockContext& b, const LayerWeights& w, const float* x, float* scratch,
              float* out);

}  // namespace haloguard::model::internal
