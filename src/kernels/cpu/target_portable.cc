// The portable OpTable (any CPU, plain C++): the per-target kernel templates instantiated with a
// one-lane Vec, a row-at-a-time GEMM and a scalar int8 GEMM over the packed layout. It is the
// fallback where no SIMD target runs, and the int8 path of SIMD targets without VNNI.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/bf16.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/vec_portable.h"

#define HG_TARGET portable
#include "kernels/cpu/vec_math-inl.h"
#include "kernels/cpu/elementwise-inl.h"
#include "kernels/cpu/sequence-inl.h"
#include "kernels/cpu/table-inl.h"
#undef HG_TARGET

namespace haloguard::kernels::portable {
namespace {

// W row n widened to fp32.
void WidenRow(const WeightMatrix& w, int64_t n, float* out) {
  const int64_t K = w.cols;
  if (w.dtype == DType::kF32) {
    std::memcpy(out, static_cast<const float*>(w.data) + n * K, K * sizeof(float));
    return;
  }
  const uint16_t* p = static_cast<const uint16_t*>(w.data) + n * K;
  for (int64_t k = 0; k < K; ++k) out[k] = w.dtype == DType::kBF16 ? Bf16ToF32(p[k]) : F16ToF32(p[k]);
}

// Widens each weight row once, then one dot product per activation row (4 partial sums).
void Gemm(const cpu::GemmArgs& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, float* scratch) {
  const int64_t K = a.w->cols;
  for (int64_t n = n0; n < n1; ++n) {
    WidenRow(*a.w, n, scratch);
    for (int64_t t = t0; t < t1; ++t) {
      const float* x = a.x + t * a.ldx;
      float s[4] = {0, 0, 0, 0};
      int64_t k = 0;
      for (; k + 4 <= K; k += 4)
        for (int j = 0; j < 4; ++j) s[j] += x[k + j] * scratch[k + j];
      for (; k < K; ++k) s[0] += x[k] * scratch[k];
      a.y[t * a.ldy + n] = (s[0] + s[1]) + (s[2] + s[3]);
    }
  }
}

void QuantizeRows(const float* x, int64_t T, int64_t K, int64_t ldx, uint8_t* xu, float* sx) {
  const int64_t K4 = cpu::RoundUp(K, 4);
  for (int64_t t = 0; t < T; ++t) {
    const float* xr = x + t * ldx;
    float amax = 0;
    for (int64_t k = 0; k < K; ++k) amax = std::fabs(xr[k]) > amax ? std::fabs(xr[k]) : amax;
    sx[t] = amax > 0.0f ? amax / 127.0f : 1.0f;
    const float inv = amax > 0.0f ? 127.0f / amax : 1.0f;
    for (int64_t k = 0; k < K4; ++k) {
      float q = k < K ? std::nearbyint(xr[k] * inv) : 0.0f;
      q = q < -127.0f ? -127.0f : (q > 127.0f ? 127.0f : q);
      xu[t * K4 + k] = static_cast<uint8_t>(static_cast<int32_t>(q) + 128);
    }
  }
}

void GemmInt8(const cpu::Int8Args& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1) {
  const int64_t K4 = cpu::RoundUp(a.K, 4), P = cpu::kInt8PanelRows;
  for (int64_t t = t0; t < t1; ++t)
    for (int64_t n = n0; n < n1; ++n) {
      const int8_t* panel = a.wq + (n / P) * K4 * P + (n % P) * 4;
      int32_t acc = 0;
      for (int64_t k = 0; k < K4; ++k) acc += int32_t{a.xu[t * K4 + k]} * panel[(k / 4) * P * 4 + k % 4];
      a.y[t * a.ldy + n] = (a.sx[t] * a.sw[n]) * static_cast<float>(acc - 128 * a.row_sum[n]);
    }
}

cpu::OpTable MakeTable() {
  cpu::OpTable t{};
  t.isa = Isa::kPortable;
  t.gemm_mr = 1;
  t.gemm_nc = 64;
  t.gemm_scratch_floats = 0;  // the driver adds K floats for every target (one widened row)
  t.gemm = Gemm;
  t.gemv_max_rows = 0;  // Gemm already streams each weight row once
  t.gemv = nullptr;
  t.quantize_rows = QuantizeRows;
  t.int8_mr = 1;
  t.gemm_int8 = GemmInt8;
  FillTemplateOps(t);
  return t;
}

}  // namespace
}  // namespace haloguard::kernels::portable

namespace haloguard::kernels::cpu {

const OpTable& PortableOps() {
  static const OpTable table = portable::MakeTable();
  return table;
}

}  // namespace haloguard::kernels::cpu
