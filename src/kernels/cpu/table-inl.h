// Fills the OpTable entries that come from the per-target templates (elementwise-inl.h,
// sequence-inl.h); included by each target_<isa>.cc after them (inclusion rules:
// vec_math-inl.h).
#ifndef HG_TARGET
#error "define HG_TARGET (the ISA namespace) before including a -inl.h kernel header"
#endif

namespace haloguard::kernels::HG_TARGET {
namespace {

void FillTemplateOps(cpu::OpTable& t) {
  t.rms_norm = RmsNormImpl;
  t.add_rms_norm = AddRmsNormImpl;
  t.gated_rms_norm = GatedRmsNormImpl;
  t.l2_norm_rows = L2NormRowsImpl;
  t.silu_mul = SiluMulImpl;
  t.sigmoid_mul = SigmoidMulImpl;
  t.causal_conv1d_silu = CausalConv1dSiluImpl;
  t.delta_cols = kDeltaCols;
  t.delta_rule = DeltaRuleImpl;
  t.attention = AttentionImpl;
}

}  // namespace
}  // namespace haloguard::kernels::HG_TARGET
