// Per-target row-wise ops (norms, gating) written once against `Vec`; included by each
// target_<isa>.cc (see vec_math-inl.h for the inclusion rules). Contracts: kernels.h.
#ifndef HG_TARGET
#error "define HG_TARGET (the ISA namespace) before including a -inl.h kernel header"
#endif

namespace haloguard::kernels::HG_TARGET {
namespace {

constexpr int kL = Vec::kLanes;

// sum(x[0:D]^2) with four independent accumulators (latency hiding).
inline float SumSquares(const float* x, int64_t D) {
  VT a0 = Vec::Zero(), a1 = Vec::Zero(), a2 = Vec::Zero(), a3 = Vec::Zero();
  int64_t d = 0;
  for (; d + 4 * kL <= D; d += 4 * kL) {
    const VT x0 = Vec::Load(x + d), x1 = Vec::Load(x + d + kL);
    const VT x2 = Vec::Load(x + d + 2 * kL), x3 = Vec::Load(x + d + 3 * kL);
    a0 = Vec::Fma(x0, x0, a0);
    a1 = Vec::Fma(x1, x1, a1);
    a2 = Vec::Fma(x2, x2, a2);
    a3 = Vec::Fma(x3, x3, a3);
  }
  for (; d < D; d += kL) {
    const VT x0 = Vec::LoadN(x + d, D - d);
    a0 = Vec::Fma(x0, x0, a0);
  }
  return Vec::Sum(Vec::Add(Vec::Add(a0, a1), Vec::Add(a2, a3)));
}

// out[0:D] = x[0:D] * f * w[0:D].
inline void ScaleRow(const float* x, float f, const float* w, int64_t D, float* out) {
  const VT fv = Vec::Set(f);
  int64_t d = 0;
  for (; d + kL <= D; d += kL) Vec::Store(out + d, Vec::Mul(Vec::Mul(Vec::Load(x + d), fv), Vec::Load(w + d)));
  if (d < D) {
    Vec::StoreN(out + d, Vec::Mul(Vec::Mul(Vec::LoadN(x + d, D - d), fv), Vec::LoadN(w + d, D - d)), D - d);
  }
}

inline float InvRms(float ss, int64_t D, float eps) {
  return 1.0f / __builtin_sqrtf(ss / static_cast<float>(D) + eps);
}

void RmsNormImpl(const float* x, int64_t rows, int64_t D, const float* scale, float eps, float* out) {
  for (int64_t r = 0; r < rows; ++r)
    ScaleRow(x + r * D, InvRms(SumSquares(x + r * D, D), D, eps), scale, D, out + r * D);
}

void AddRmsNormImpl(float* h, const float* y, int64_t rows, int64_t D, const float* scale, float eps,
                    float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    float* hr = h + r * D;
    const float* yr = y + r * D;
    VT a0 = Vec::Zero(), a1 = Vec::Zero();
    int64_t d = 0;
    for (; d + 2 * kL <= D; d += 2 * kL) {
      const VT s0 = Vec::Add(Vec::Load(hr + d), Vec::Load(yr + d));
      const VT s1 = Vec::Add(Vec::Load(hr + d + kL), Vec::Load(yr + d + kL));
      Vec::Store(hr + d, s0);
      Vec::Store(hr + d + kL, s1);
      a0 = Vec::Fma(s0, s0, a0);
      a1 = Vec::Fma(s1, s1, a1);
    }
    for (; d < D; d += kL) {
      const VT s0 = Vec::Add(Vec::LoadN(hr + d, D - d), Vec::LoadN(yr + d, D - d));
      Vec::StoreN(hr + d, s0, D - d);
      a0 = Vec::Fma(s0, s0, a0);
    }
    ScaleRow(hr, InvRms(Vec::Sum(Vec::Add(a0, a1)), D, eps), scale, D, out + r * D);
  }
}

void GatedRmsNormImpl(const float* x, const float* z, int64_t rows, int64_t D, const float* w,
                      float eps, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * D;
    const float* zr = z + r * D;
    float* o = out + r * D;
    const VT f = Vec::Set(InvRms(SumSquares(xr, D), D, eps));
    for (int64_t d = 0; d < D; d += kL) {
      const int64_t n = D - d;
      const VT xv = n >= kL ? Vec::Load(xr + d) : Vec::LoadN(xr + d, n);
      const VT zv = n >= kL ? Vec::Load(zr + d) : Vec::LoadN(zr + d, n);
      const VT wv = n >= kL ? Vec::Load(w + d) : Vec::LoadN(w + d, n);
      const VT res = Vec::Mul(Vec::Mul(wv, Vec::Mul(xv, f)), Silu(zv));
      if (n >= kL) Vec::Store(o + d, res); else Vec::StoreN(o + d, res, n);
    }
  }
}

void L2NormRowsImpl(float* x, int64_t rows, int64_t D, int64_t row_stride, float eps, float scale) {
  for (int64_t r = 0; r < rows; ++r) {
    float* v = x + r * row_stride;
    const VT f = Vec::Set(scale / __builtin_sqrtf(SumSquares(v, D) + eps));
    int64_t d = 0;
    for (; d + kL <= D; d += kL) Vec::Store(v + d, Vec::Mul(Vec::Load(v + d), f));
    if (d < D) Vec::StoreN(v + d, Vec::Mul(Vec::LoadN(v + d, D - d), f), D - d);
  }
}

// out[i] = op(a[i], b[i]) over n elements, full vectors then a masked tail.
template <class Op>
inline void Binary(const float* a, const float* b, int64_t n, float* out, Op op) {
  int64_t i = 0;
  for (; i + kL <= n; i += kL) Vec::Store(out + i, op(Vec::Load(a + i), Vec::Load(b + i)));
  if (i < n) Vec::StoreN(out + i, op(Vec::LoadN(a + i, n - i), Vec::LoadN(b + i, n - i)), n - i);
}

void SiluMulImpl(const float* gate, const float* up, int64_t n, float* out) {
  Binary(gate, up, n, out, [](VT g, VT u) { return Vec::Mul(Silu(g), u); });
}

void SigmoidMulImpl(const float* x, const float* gate, int64_t n, float* out) {
  Binary(x, gate, n, out, [](VT a, VT g) { return Vec::Mul(a, Sigmoid(g)); });
}

}  // namespace
}  // namespace haloguard::kernels::HG_TARGET
