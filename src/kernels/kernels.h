// The numeric ops of the Qwen3.5 forward pass: the only API model/ calls. Activations are fp32;
// weight matrices are read in their stored dtype (F32/BF16/F16) and widened on the fly.
// Each op dispatches to the fastest implementation compiled for this CPU; `reference/` holds the
// scalar twin of every op, which tests compare the fast ones against (kernels_test.cc).
//
// Legend: T tokens, K/N matmul inner/outer dims, D row length, C channels, H heads,
// Dk/Dv key/value head dims, P past (cached) tokens.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/thread_pool.h"

namespace haloguard::kernels {

// ---- CPU dispatch ----
// Instruction sets the ops are compiled for; every op has an implementation for each one that is
// compiled in (kPortable always is). The best one this CPU runs is chosen at first use, unless the
// environment variable HALOGUARD_ISA (portable | avx2 | avx512) names another supported one.
enum class Isa { kPortable, kAvx2, kAvx512 };

std::string_view IsaName(Isa isa);
// True if `isa` is compiled in and this CPU runs it.
bool IsaSupported(Isa isa);
Isa ActiveIsa();
// Routes every op to `isa` (tests and benchmarks compare targets). Returns false and changes
// nothing if unsupported. Not thread-safe: call only while no kernel runs.
bool SetActiveIsa(Isa isa);

// True if MatMul's bf16 compute mode runs here: AVX512_BF16 on this CPU and the avx512 ISA
// active. Otherwise a bf16_compute weight is multiplied exactly (callers log the fallback).
bool Bf16ComputeSupported();

// Intel AMX kernels, used where this CPU, OS and process run them, the active ISA is avx512 and
// AMX is not switched off (HALOGUARD_AMX=0 at start, or SetAmx(false): tests and benchmarks
// compare both paths):
// - int8 mode (AMX-INT8 tdpbusd): bit-identical to the VNNI kernel; used for int8 weights whose
//   RoundUp(cols, 4) is a multiple of 64, the VNNI kernel otherwise.
// - bf16 compute mode (AMX-BF16 tdpbf16ps): the same bf16 rounding of x and exact products, summed
//   in fp32 k-ascending instead of vdpbf16ps' 16 lanes + tree (docs/TOLERANCES.md).
// SetAmx is not thread-safe with running kernels.
bool AmxInt8Supported();
bool AmxBf16Supported();
bool AmxEnabled();
void SetAmx(bool on);

struct QuantizedMatrix;

// A weight used in place: [rows, cols] row-major in its stored dtype (F32, BF16 or F16).
// If `int8` is set, MatMul uses that quantised copy instead (see QuantizedMatrix); the other ops
// always read `data`. If `bf16_compute` is set (BF16 weights, no int8 copy, and
// Bf16ComputeSupported()), MatMul uses the bf16 compute mode below.
struct WeightMatrix {
  const void* data = nullptr;
  DType dtype = DType::kUnknown;
  int64_t rows = 0;
  int64_t cols = 0;
  const QuantizedMatrix* int8 = nullptr;
  bool bf16_compute = false;
};

// y[T, N] = x[T, K] · W[N, K]^T. `y` is overwritten; x and y must not overlap.
// Exact path (w.int8 == nullptr): fp32 arithmetic on the stored values widened to fp32.
// Int8 path: y = sx[t] * sw[n] * (xq[t, :] · wq[n, :]) with x quantised per row to int8 on the
// fly (sx = max|x[t, :]| / 127, round to nearest) and the integer dot product exact.
// Bf16 compute path: x rounded to bf16 (nearest even), products of bf16 values (exact in fp32)
// summed in fp32 by vdpbf16ps; each y[t, n] is computed in one fixed order, so a row's result
// does not depend on T or on the other rows (batch invariance).
void MatMul(ThreadPool& pool, const float* x, int64_t T, const WeightMatrix& w, float* y);

// ---- Int8 weights (the optional --weights int8 mode) ----
// W quantised per output row: wq[n, k] = round(W[n, k] / sw[n]) in [-127, 127], sw[n] =
// max|W[n, :]| / 127 (1 for an all-zero row). Stored packed for the VNNI kernels: 32-row panels
// of 4-column groups, [ceil(N/32), ceil(K/4), 32, 4] int8, zero padded. Owns its memory
// (N*K bytes + 4N); movable, not copyable.
struct QuantizedMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<int8_t> packed;   // the layout above
  std::vector<float> scale;     // [N] sw
  std::vector<int32_t> row_sum;  // [N] sum_k wq[n, k] (for the unsigned-activation offset)

  // wq[n, k] read back from the packed layout.
  int8_t At(int64_t n, int64_t k) const;
  size_t Bytes() const { return packed.size() + scale.size() * 4 + row_sum.size() * 4; }
};

// Quantises `w` (F32/BF16/F16) as described above, rows in parallel.
QuantizedMatrix QuantizeWeights(ThreadPool& pool, const WeightMatrix& w);

// y[T, R] = x[T, K] · W[rows[r], K]^T for the R selected output rows (e.g. two vocab entries).
void MatMulRows(ThreadPool& pool, const float* x, int64_t T, const WeightMatrix& w,
                std::span<const int32_t> rows, float* y);

// out[i, :] = f32(table[ids[i], :]) for each id; ids must be < table.rows.
void Embed(const WeightMatrix& table, std::span<const int32_t> ids, float* out);

// out[r, :] = x[r, :] * rsqrt(mean(x[r, :]^2) + eps) * scale[:], for `rows` rows of length D.
// `scale` is the folded (1 + w) of Qwen3_5RMSNorm. In-place (out == x) allowed.
void RmsNorm(const float* x, int64_t rows, int64_t D, const float* scale, float eps, float* out);

// Qwen3_5RMSNormGated: out[r, :] = (w * x[r, :] * rsqrt(mean(x^2) + eps)) * silu(z[r, :]).
// In-place (out == x) allowed.
void GatedRmsNorm(const float* x, const float* z, int64_t rows, int64_t D, const float* w,
                  float eps, float* out);

// x[r, :] *= scale / sqrt(sum(x[r, :]^2) + eps)   (HF l2norm, then the query scale).
void L2NormRows(float* x, int64_t rows, int64_t D, int64_t row_stride, float eps, float scale);

// out[i] = silu(gate[i]) * up[i]. In-place (out == gate or up) allowed.
void SiluMul(const float* gate, const float* up, int64_t n, float* out);

// Residual add fused with the next RMSNorm: h[r, :] += y[r, :], then out = RmsNorm(h) as above.
// `out` must not overlap h or y.
void AddRmsNorm(float* h, const float* y, int64_t rows, int64_t D, const float* scale, float eps,
                float* out);

// out[i] = x[i] * sigmoid(gate[i]) (the attention output gate). In-place (out == x) allowed.
void SigmoidMul(const float* x, const float* gate, int64_t n, float* out);

// Causal depthwise conv1d (kernel K, no bias) followed by SiLU, continuing from a state:
//   x [T, C] raw inputs; state_in [K-1, C] the previous K-1 inputs, oldest first (zeros at
//   sequence start); w [C, K] taps (tap K-1 multiplies the current token); out [T, C].
// state_out [K-1, C] receives the last K-1 inputs of [state_in | x]; may alias state_in;
// nullptr to discard.
void CausalConv1dSilu(const float* x, int64_t T, int64_t C, const float* state_in,
                      const float* w, int64_t K, float* out, float* state_out);
// The same, tokens split across `pool` (results bit-identical to the single-threaded call).
void CausalConv1dSilu(ThreadPool& pool, const float* x, int64_t T, int64_t C,
                      const float* state_in, const float* w, int64_t K, float* out,
                      float* state_out);

// NeoX-style partial rotary embedding on x [T, H, Dh] (`token_stride` floats between tokens):
// dims [0, R) rotate in pairs (i, i + R/2) by the angle whose cos/sin are cos[t, i], sin[t, i]
// ([T, R/2] tables, see RopeTables); dims [R, Dh) pass through.
void RopeNeox(float* x, int64_t T, int64_t H, int64_t Dh, int64_t token_stride, int64_t R,
              const float* cos, const float* sin);

// cos/sin tables [T, R/2] for positions pos0..pos0+T-1: angle = pos * theta^(-2i/R), evaluated
// in double (more accurate than HF's fp32 angles, which lose ~1e-4 rad at position 2000).
void RopeTables(int64_t T, int64_t pos0, int64_t R, double theta, float* cos, float* sin);

// Causal GQA softmax attention for T new queries at positions P..P+T-1:
//   q [T, Nq, Dh]; keys/values of positions [0, P) in k_past/v_past [P, Nkv, Dh] and of the T
//   new tokens in k_new/v_new [T, Nkv, Dh]; query head h uses kv head h / (Nq / Nkv).
//   out [T, Nq, Dh] = softmax(q k^T * scale) v, query t attending to keys 0..P+t.
void Attention(ThreadPool& pool, const float* q, int64_t T, int64_t Nq, int64_t Dh, int64_t Nkv,
               const float* k_past, const float* v_past, int64_t P, const float* k_new,
               const float* v_new, float scale, float* out);

enum class DeltaRuleForm { kAuto, kRecurrent, kChunked };

// Gated delta rule over T tokens for Hv value heads (value head n uses key head n / (Hv / Hk)):
//   q, k [T, Hk, Dk] (token stride ldqk floats; already L2-normalised, q scaled by 1/sqrt(Dk)),
//   v [T, Hv, Dv] (token stride ldv), g [T, Hv] log-decay (<= 0), beta [T, Hv];
//   state_in [Hv, Dk, Dv] (nullptr = zeros), state_out [Hv, Dk, Dv] (may alias state_in;
//   nullptr = discard); out [T, Hv, Dv].
// Both forms equal the recurrence S = exp(g) S; S += k ⊗ beta (v - S^T k); o = S^T q in exact
// arithmetic. kAuto picks the fastest form of this backend: on CPUs the recurrent one, vectorised
// over value columns and parallel over heads x column blocks (it needs no more FLOPs than the
// chunked form — no triangular solves — and stays closest to the exact recurrence; see
// docs/PERFORMANCE.md). kChunked (chunk 64) runs the reference chunked form.
void GatedDeltaRule(ThreadPool& pool, const float* q, const float* k, int64_t ldqk,
                    const float* v, int64_t ldv, const float* g, const float* beta, int64_t T,
                    int64_t Hk, int64_t Hv, int64_t Dk, int64_t Dv, const float* state_in,
                    float* state_out, float* out, DeltaRuleForm form = DeltaRuleForm::kAuto);

}  // namespace haloguard::kernels
