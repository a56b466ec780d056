// Dispatch of the element-wise and sequence ops in kernels.h to the active target (cpu/ops.h),
// parallelised over independent heads / query blocks where the op takes a pool. Shapes beyond
// the fast kernels' limits, and the chunked delta-rule form, run the reference.
#include "kernels/kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/reference/reference.h"

namespace haloguard::kernels {

void Embed(const WeightMatrix& table, std::span<const int32_t> ids, float* out) {
  ref::Embed(table, ids, out);
}

void RmsNorm(const float* x, int64_t rows, int64_t D, const float* scale, float eps, float* out) {
  cpu::Ops().rms_norm(x, rows, D, scale, eps, out);
}

void AddRmsNorm(float* h, const float* y, int64_t rows, int64_t D, const float* scale, float eps,
                float* out) {
  cpu::Ops().add_rms_norm(h, y, rows, D, scale, eps, out);
}

void GatedRmsNorm(const float* x, const float* z, int64_t rows, int64_t D, const float* w,
                  float eps, float* out) {
  cpu::Ops().gated_rms_norm(x, z, rows, D, w, eps, out);
}

void L2NormRows(float* x, int64_t rows, int64_t D, int64_t row_stride, float eps, float scale) {
  cpu::Ops().l2_norm_rows(x, rows, D, row_stride, eps, scale);
}

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  cpu::Ops().silu_mul(gate, up, n, out);
}

void SigmoidMul(const float* x, const float* gate, int64_t n, float* out) {
  cpu::Ops().sigmoid_mul(x, gate, n, out);
}

namespace {

// Row r of the new conv state = row T + r of [state_in | x] (kernels.h CausalConv1dSilu).
// Ascending: row r reads row r + T >= r, so state_out may alias state_in.
void UpdateConvState(const float* x, int64_t T, int64_t C, const float* state_in, int64_t K,
                     float* state_out) {
  for (int64_t r = 0; r < K - 1; ++r) {
    const int64_t src = T + r;
    float* dst = state_out + r * C;
    if (src >= K - 1) {
      std::copy(x + (src - (K - 1)) * C, x + (src - (K - 1) + 1) * C, dst);
    } else if (state_in != nullptr) {
      std::copy(state_in + src * C, state_in + (src + 1) * C, dst);
    } else {
      std::fill(dst, dst + C, 0.0f);
    }
  }
}

}  // namespace

void CausalConv1dSilu(const float* x, int64_t T, int64_t C, const float* state_in,
                      const float* w, int64_t K, float* out, float* state_out) {
  if (K > cpu::kConvMaxK) {
    ref::CausalConv1dSilu(x, T, C, state_in, w, K, out, state_out);
    return;
  }
  cpu::Ops().causal_conv1d_silu(x, T, C, 0, C, state_in, w, K, out);
  if (state_out != nullptr) UpdateConvState(x, T, C, state_in, K, state_out);
}

void CausalConv1dSilu(ThreadPool& pool, const float* x, int64_t T, int64_t C,
                      const float* state_in, const float* w, int64_t K, float* out,
                      float* state_out) {
  if (K > cpu::kConvMaxK) {
    ref::CausalConv1dSilu(x, T, C, state_in, w, K, out, state_out);
    return;
  }
  // Channels are independent: split them (tokens would give one chunk to a short request),
  // in ranges of kConvChannels, enough tasks to balance; the state is updated once all
  // outputs are done, since state_out may alias state_in.
  constexpr int64_t kConvChannels = 512;
  const cpu::OpTable& ops = cpu::Ops();
  const int64_t tasks = (C + kConvChannels - 1) / kConvChannels;
  pool.Run(static_cast<int>(tasks), [&](int task, int) {
    const int64_t c0 = task * kConvChannels;
    ops.causal_conv1d_silu(x, T, C, c0, std::min(C, c0 + kConvChannels), state_in, w, K, out);
  });
  if (state_out != nullptr) UpdateConvState(x, T, C, state_in, K, state_out);
}

void RopeNeox(float* x, int64_t T, int64_t H, int64_t Dh, int64_t token_stride, int64_t R,
              const float* cos, const float* sin) {
  ref::RopeNeox(x, T, H, Dh, token_stride, R, cos, sin);
}

void RopeTables(int64_t T, int64_t pos0, int64_t R, double theta, float* cos, float* sin) {
  const int64_t half = R / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double inv_freq = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(R));
    for (int64_t t = 0; t < T; ++t) {
      const double angle = static_cast<double>(pos0 + t) * inv_freq;
      cos[t * half + i] = static_cast<float>(std::cos(angle));
      sin[t * half + i] = static_cast<float>(std::sin(angle));
    }
  }
}

void Attention(ThreadPool& pool, const float* q, int64_t T, int64_t Nq, int64_t Dh, int64_t Nkv,
               const float* k_past, const float* v_past, int64_t P, const float* k_new,
               const float* v_new, float scale, float* out) {
  const cpu::OpTable& ops = cpu::Ops();
  const cpu::AttentionArgs a{q, T, Nq, Dh, Nkv, k_past, v_past, P, k_new, v_new, scale, out};
  // Tasks: kv head x token block; blocks late in the causal triangle cost more, and dynamic task
  // claiming balances that.
  const int64_t blocks = (T + cpu::kAttentionBlock - 1) / cpu::kAttentionBlock;
  const size_t scratch = static_cast<size_t>(cpu::AttentionScratchFloats(a));
  pool.Run(static_cast<int>(Nkv * blocks), [&](int task, int) {
    thread_local std::vector<float> buf;
    if (buf.size() < scratch) buf.resize(scratch);
    const int64_t g = task % Nkv, t0 = task / Nkv * cpu::kAttentionBlock;
    ops.attention(a, g, t0, std::min(T, t0 + cpu::kAttentionBlock), buf.data());
  });
}

void GatedDeltaRule(ThreadPool& pool, const float* q, const float* k, int64_t ldqk,
                    const float* v, int64_t ldv, const float* g, const float* beta, int64_t T,
                    int64_t Hk, int64_t Hv, int64_t Dk, int64_t Dv, const float* state_in,
                    float* state_out, float* out, DeltaRuleForm form) {
  if (form == DeltaRuleForm::kChunked) {
    ref::GatedDeltaRuleChunked(q, k, ldqk, v, ldv, g, beta, T, Hk, Hv, Dk, Dv, state_in,
                               state_out, out, /*chunk=*/64);
    return;
  }
  if (Dk > cpu::kDeltaMaxDk) {
    ref::GatedDeltaRuleRecurrent(q, k, ldqk, v, ldv, g, beta, T, Hk, Hv, Dk, Dv, state_in,
                                 state_out, out);
    return;
  }
  const cpu::OpTable& ops = cpu::Ops();
  const cpu::DeltaArgs a{q, k, v, g, beta, ldqk, ldv, T, Hk, Hv, Dk, Dv, state_in, state_out, out};
  const int64_t blocks = (Dv + ops.delta_cols - 1) / ops.delta_cols;
  pool.Run(static_cast<int>(Hv * blocks), [&](int task, int) {
    const int64_t n = task / blocks, j0 = task % blocks * ops.delta_cols;
    ops.delta_rule(a, n, j0, std::min(Dv, j0 + ops.delta_cols));
  });
}

}  // namespace haloguard::kernels
