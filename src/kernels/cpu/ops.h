// Internal: the per-instruction-set implementation table behind kernels.h. Each target
// translation unit (target_<isa>.cc, compiled with that ISA's flags) fills one OpTable; the
// ISA-neutral drivers (kernels.cc, matmul.cc, sequence.cc) split work across threads and call it.
#pragma once

#include <cstdint>

#include "kernels/kernels.h"

namespace haloguard::kernels::cpu {

// One fp32 GEMM block: y[t0:t1, n0:n1] = x[t0:t1, :] · W[n0:n1, :]^T (W.data, stored dtype).
struct GemmArgs {
  const float* x;  // [T, K], row stride ldx
  int64_t ldx;
  const WeightMatrix* w;
  float* y;  // [T, N], row stride ldy
  int64_t ldy;
};

// One int8 GEMM block over activations already quantised by quantize_rows:
// y[t, n] = (sx[t] * sw[n]) * float(sum_k xu[t, k] * wq[n, k] - 128 * row_sum[n]).
struct Int8Args {
  const uint8_t* xu;  // [T, K4] xq + 128 (unsigned, for vpdpbusd), K4 = cols rounded up to 4
  const float* sx;    // [T] row scales
  const int8_t* wq;   // QuantizedMatrix::packed (raw pointers: target code never touches std::)
  const float* sw;    // [N] weight row scales
  const int32_t* row_sum;  // [N]
  int64_t K;
  float* y;  // [T, N], row stride ldy
  int64_t ldy;
};

inline int64_t RoundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// One bf16-compute GEMM block: y[t, n] = sum_k xb[t, k] * w[n, k] (bf16 products, fp32
// accumulation) for t in [t0, t1), n in [n0, n1).
struct Bf16Args {
  const uint16_t* xb;  // [T, K32] activations rounded to bf16, zero padded; 64-byte aligned rows
  int64_t K32;         // K rounded up to 32
  const uint16_t* w;   // [N, K] BF16 weights (WeightMatrix::data)
  int64_t K;
  float* y;  // [T, N], row stride ldy
  int64_t ldy;
};
// `scratch`: per-thread, 64-byte aligned, kBf16ScratchBytesPerK32 * K32 bytes (the AMX kernel's
// packed weight panel; the vdpbf16ps kernel ignores it).
using Bf16GemmFn = void (*)(const Bf16Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, void* scratch);
inline constexpr int64_t kBf16ScratchBytesPerK32 = 64;  // 2 B tiles of 1 KiB per 32 columns
// The bf16 kernel if this build and CPU have one and the active ISA is avx512, else nullptr:
// AMX-BF16 tiles where the process runs them and AMX is on (kernels.h AmxActive; it reads up to
// kAmxPadRows rows of xb past t1, which the caller pads), else AVX512_BF16 vdpbf16ps.
Bf16GemmFn Bf16Gemm();
// xb[0, K32) = F32ToBf16(x[k]) for k < K, then zeros (bit-identical to the scalar rounding).
using Bf16RoundFn = void (*)(const float* x, int64_t K, uint16_t* xb, int64_t K32);
// Its AVX-512 version under the same conditions as Bf16Gemm(), else nullptr.
Bf16RoundFn Bf16RoundRow();
inline constexpr int64_t kInt8PanelRows = 32;  // QuantizedMatrix panel height
inline constexpr int64_t kAmxPadRows = 32;  // rows OpTable::gemm_int8_amx may read past t1

// Gated delta rule operands (kernels.h GatedDeltaRule); one call covers head n, value columns
// [j0, j1) for all T tokens (columns of the state evolve independently).
struct DeltaArgs {
  const float *q, *k, *v, *g, *beta;
  int64_t ldqk, ldv, T, Hk, Hv, Dk, Dv;
  const float* state_in;  // may be nullptr (zeros)
  float* state_out;       // may be nullptr; may alias state_in
  float* out;
};

// Causal attention operands (kernels.h Attention). One call covers kv head g — all its
// Nq / Nkv query heads — for new tokens [t0, t1) (at most kAttentionBlock of them); `scratch`
// holds AttentionScratchFloats(...) floats.
struct AttentionArgs {
  const float* q;
  int64_t T, Nq, Dh, Nkv;
  const float *k_past, *v_past;
  int64_t P;
  const float *k_new, *v_new;
  float scale;
  float* out;
};
inline constexpr int64_t kAttentionBlock = 16;
inline int64_t AttentionScratchFloats(const AttentionArgs& a) {
  const int64_t rows = a.Nq / a.Nkv * kAttentionBlock, keys = a.P + a.T;
  return rows * (a.Dh + keys + 64) + a.Dh * 64;  // queries, scores (+ a vector of slack), K^T block
}

// Limits of the fast sequence kernels (their scratch lives on the stack); the drivers route
// larger shapes to the reference.
inline constexpr int64_t kConvMaxK = 8;
inline constexpr int64_t kDeltaMaxDk = 256;

struct OpTable {
  Isa isa;
  // fp32 GEMM: a task covers whole row tiles of gemm_mr rows; gemm_scratch_floats per thread.
  int64_t gemm_mr;
  int64_t gemm_nc;
  int64_t gemm_scratch_floats;
  void (*gemm)(const GemmArgs& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, float* scratch);
  // Small-T matrix-vector path (T <= gemv_max_rows), memory bound: streams W once. Results
  // are bit-identical to `gemm` (batch invariance); n0 is a multiple of 32.
  int64_t gemv_max_rows;
  void (*gemv)(const GemmArgs& a, int64_t T, int64_t n0, int64_t n1);
  // Int8: xu[t, :] = round(x[t, :] * (127 / max|x[t, :]|)) + 128 (zero padded to K4), sx[t] =
  // max|x[t, :]| / 127 (1 for a zero row); then blocks of y (n0, n1 multiples of 32 or N).
  void (*quantize_rows)(const float* x, int64_t T, int64_t K, int64_t ldx, uint8_t* xu, float* sx);
  int64_t int8_mr;
  void (*gemm_int8)(const Int8Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1);
  // The same on AMX tiles, bit-identical, for K with int8_amx_fits(K) (nullptr: no AMX here). It
  // reads up to kAmxPadRows activation rows past t1: xu must have them (any values).
  void (*gemm_int8_amx)(const Int8Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1);
  bool (*int8_amx_fits)(int64_t K);
  // Element-wise and sequence ops: same contracts as kernels.h.
  void (*rms_norm)(const float* x, int64_t rows, int64_t D, const float* scale, float eps, float* out);
  void (*add_rms_norm)(float* h, const float* y, int64_t rows, int64_t D, const float* scale,
                       float eps, float* out);
  void (*gated_rms_norm)(const float* x, const float* z, int64_t rows, int64_t D, const float* w,
                         float eps, float* out);
  void (*l2_norm_rows)(float* x, int64_t rows, int64_t D, int64_t row_stride, float eps, float scale);
  void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out);
  void (*sigmoid_mul)(const float* x, const float* gate, int64_t n, float* out);
  // Channels [c0, c1) of kernels.h CausalConv1dSilu (rows of x, state_in, out: C floats); the
  // state update is the caller's.
  void (*causal_conv1d_silu)(const float* x, int64_t T, int64_t C, int64_t c0, int64_t c1,
                             const float* state_in, const float* w, int64_t K, float* out);
  // Gated delta rule, recurrent form, value columns in blocks of delta_cols.
  int64_t delta_cols;
  void (*delta_rule)(const DeltaArgs& a, int64_t n, int64_t j0, int64_t j1);
  void (*attention)(const AttentionArgs& a, int64_t g, int64_t t0, int64_t t1, float* scratch);
};

const OpTable& PortableOps();
const OpTable* Avx2Ops();    // nullptr if not compiled in
const OpTable* Avx512Ops();  // nullptr if not compiled in

// The table of the active ISA (kernels.h ActiveIsa).
const OpTable& Ops();

}  // namespace haloguard::kernels::cpu
