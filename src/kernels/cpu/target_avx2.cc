// The AVX2 + FMA OpTable: the per-target kernel templates instantiated with 8-lane vectors plus
// the tiled GEMM/GEMV of gemm_avx2.cc; int8 comes from the portable table (no VNNI assumed).
// Compiled with the AVX2 flags; nothing here may be reached unless the CPU has AVX2 + FMA + F16C.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/gemm_avx2.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/vec_avx2.h"

#define HG_TARGET avx2
#include "kernels/cpu/vec_math-inl.h"
#include "kernels/cpu/elementwise-inl.h"
#include "kernels/cpu/sequence-inl.h"
#include "kernels/cpu/table-inl.h"
#undef HG_TARGET

namespace haloguard::kernels::avx2 {

cpu::OpTable MakeTable(const cpu::OpTable& fallback) {
  cpu::OpTable t = fallback;
  t.isa = Isa::kAvx2;
  FillGemmOps(t);
  FillTemplateOps(t);
  return t;
}

}  // namespace haloguard::kernels::avx2
