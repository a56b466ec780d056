// Per-target vector math (exp, silu, sigmoid) written once against `Vec`; included by each
// target_<isa>.cc after its vec_<isa>.h, with HG_TARGET naming that ISA's namespace.
// No include guard on purpose: each target translation unit includes it exactly once.
#ifndef HG_TARGET
#error "define HG_TARGET (the ISA namespace) before including a -inl.h kernel header"
#endif

namespace haloguard::kernels::HG_TARGET {
namespace {

using VT = Vec::V;
using cpu::AttentionArgs;
using cpu::DeltaArgs;
using cpu::kConvMaxK;
using cpu::kDeltaMaxDk;

// Target translation units avoid std:: inline functions (their out-of-line copies in unoptimised
// builds could be shared with, and then run by, code for another ISA): builtins and these.
inline int64_t MinI(int64_t a, int64_t b) { return a < b ? a : b; }

// e^x for x in [-104, 89], Cephes expf scheme: x = n ln2 + r, |r| <= ln2/2 (ln2 split in two so
// n*C1 is exact), degree-6 polynomial for e^r, then scale by 2^n (subnormal results kept).
inline VT ExpInRange(VT x) {
  const VT n = Vec::Round(Vec::Mul(x, Vec::Set(1.44269504088896341f)));
  VT r = Vec::Fnma(n, Vec::Set(0.693359375f), x);
  r = Vec::Fnma(n, Vec::Set(-2.12194440e-4f), r);
  VT p = Vec::Set(1.9875691500e-4f);
  p = Vec::Fma(p, r, Vec::Set(1.3981999507e-3f));
  p = Vec::Fma(p, r, Vec::Set(8.3334519073e-3f));
  p = Vec::Fma(p, r, Vec::Set(4.1665795894e-2f));
  p = Vec::Fma(p, r, Vec::Set(1.6666665459e-1f));
  p = Vec::Fma(p, r, Vec::Set(5.0000001201e-1f));
  p = Vec::Fma(p, Vec::Mul(r, r), Vec::Add(r, Vec::Set(1.0f)));
  return Vec::Scale2(p, n);
}

// exp(x): max relative error 2.3e-7 (~2 ulp) on the normal range; overflow gives inf. Results
// below FLT_MIN (x < -87.3365) are flushed to 0: a subnormal result costs the CPU a microcode
// assist here and in every later operation on it (a softmax row with a score spread over 87 ran
// 20x slower), and no caller can see it (it is below half an ulp of 1 in softmax sums and in
// 1 + exp(-x)).
inline VT Exp(VT x) {
  x = Vec::Min(Vec::Max(x, Vec::Set(-104.0f)), Vec::Set(89.0f));
  return Vec::ZeroWhereLess(ExpInRange(x), x, Vec::Set(-87.33654475f));
}

// x / (1 + exp(-x)), the reference formula (inf for very negative x gives -0, as in torch).
inline VT Silu(VT x) {
  return Vec::Div(x, Vec::Add(Vec::Set(1.0f), Exp(Vec::Sub(Vec::Zero(), x))));
}

inline VT Sigmoid(VT x) {
  return Vec::Div(Vec::Set(1.0f), Vec::Add(Vec::Set(1.0f), Exp(Vec::Sub(Vec::Zero(), x))));
}

}  // namespace
}  // namespace haloguard::kernels::HG_TARGET
