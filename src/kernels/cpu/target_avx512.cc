// The AVX-512 OpTable: the per-target kernel templates instantiated with 16-lane vectors, plus
// the hand-tiled GEMM/GEMV (gemm_avx512.cc) and, on CPUs with VNNI, the int8 GEMM. Compiled
// with the AVX-512 flags; nothing here may be reached unless the CPU has AVX-512 F/BW/DQ/VL.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/gemm_avx512.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/vec_avx512.h"

#define HG_TARGET avx512
#include "kernels/cpu/vec_math-inl.h"
#include "kernels/cpu/elementwise-inl.h"
#include "kernels/cpu/sequence-inl.h"
#include "kernels/cpu/table-inl.h"
#undef HG_TARGET

namespace haloguard::kernels::avx512 {

// `has_vnni`: the CPU runs AVX512-VNNI; otherwise the int8 entries come from `fallback`.
// `has_amx`: it also runs AMX-INT8 and the process may use the tiles (dispatch.cc).
cpu::OpTable MakeTable(bool has_vnni, bool has_amx, const cpu::OpTable& fallback) {
  cpu::OpTable t = fallback;
  t.isa = Isa::kAvx512;
  FillGemmOps(t);
  if (has_vnni) {
    t.quantize_rows = QuantizeRows;
    t.int8_mr = kInt8Mr;
    t.gemm_int8 = GemmInt8;
    if (has_amx) {
      t.gemm_int8_amx = GemmInt8Amx;
      t.int8_amx_fits = GemmInt8AmxFits;
    }
  }
  FillTemplateOps(t);
  return t;
}

}  // namespace haloguard::kernels::avx512
