// SwiGLU MLP (mirrors transformers Qwen3_5MLP.forward): down(silu(gate(x)) * up(x)).
#include "kernels/kernels.h"
#include "model/layers.h"

namespace haloguard::model::internal {

int64_t MlpScratchFloats(const TextConfig& c, int64_t N) { return 2 * N * c.intermediate_size; }

void MlpBlock(const BlockContext& b, const LayerWeights& w, const float* x, float* scratch,
              float* out) {
  const int64_t N = b.N, F = b.c.intermediate_size;
  float* gate = scratch;      // [N, F]
  float* up = gate + N * F;   // [N, F]
  {
    StageTimer t(b.profile, &ForwardProfile::matmul);
    Project(b, x, N, w.gate_proj, gate);
    Project(b, x, N, w.up_proj, up);
  }
  {
    StageTimer t(b.profile, &ForwardProfile::other);
    ParallelRows(b.pool, N, 8, [&](int64_t r0, int64_t r1) {
      kernels::SiluMul(gate + r0 * F, up + r0 * F, (r1 - r0) * F, gate + r0 * F);
    });
  }
  StageTimer t(b.profile, &ForwardProfile::matmul);
  Project(b, gate, N, w.down_proj, out);
}

}  // namespace haloguard::model::internal
