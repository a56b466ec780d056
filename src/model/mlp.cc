// SwiGLU MLP (mirrors transformers Qwen3_5MLP.forward): down(silu(gate(x)) * up(x)).
#include <vector>

#include "kernels/kernels.h"
#include "model/layers.h"

namespace haloguard::model::internal {

void MlpBlock(ThreadPool& pool, const TextConfig& c, const LayerWeights& w, const float* x,
              int64_t N, float* out) {
  const int64_t F = c.intermediate_size;
  std::vector<float> gate(N * F), up(N * F);
  kernels::MatMul(pool, x, N, w.gate_proj, gate.data());
  kernels::MatMul(pool, x, N, w.up_proj, up.data());
  kernels::SiluMul(gate.data(), up.data(), N * F, gate.data());
  kernels::MatMul(pool, gate.data(), N, w.down_proj, out);
}

}  // namespace haloguard::model::internal
