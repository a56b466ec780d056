// Per-target fp32 matrix multiplication written once against `Vec` (kL lanes): a register-tiled
// GEMM (kGemmMr rows x 2 vectors of columns) whose weight panels are widened to fp32 while
// packing (BF16/F16/F32 in memory, never a persistent fp32 copy), and a small-T GEMV computing
// bit-identical results. Included by gemm_<isa>.cc after its vec_<isa>.h and gemm_<isa>.h, with
// HG_TARGET naming the ISA namespace (inclusion rules: vec_math-inl.h).
#ifndef HG_TARGET
#error "define HG_TARGET (the ISA namespace) before including a -inl.h kernel header"
#endif

namespace haloguard::kernels::HG_TARGET {
namespace {

using VT = Vec::V;
constexpr int64_t kL = Vec::kLanes;
// Tile kMr x kNr in registers; one packed weight panel kKc x kNr at a time (L1); kNc is the
// column block of a task (MatMul's TaskGrid).
constexpr int64_t kMr = kGemmMr, kNr = 2 * kL, kKc = 256, kNc = kGemmNc;
// Tasks of at most kPanelMaxRows rows take GemmPanels (all their A tiles copied once per K block,
// <= 64 KiB; measured 5-16 % faster at 16-64 rows, slower from ~128), larger ones GemmBlocked.
constexpr int64_t kPanelMaxRows = 64, kChunkTiles = (kPanelMaxRows + kMr - 1) / kMr;

// Target translation units avoid std:: inline functions (see vec_math-inl.h).
inline int64_t Min(int64_t a, int64_t b) { return a < b ? a : b; }
constexpr int64_t Max(int64_t a, int64_t b) { return a > b ? a : b; }

inline float ScalarWeight(const WeightMatrix& w, int64_t n, int64_t k) {
  const int64_t i = n * w.cols + k;
  if (w.dtype == DType::kF32) return static_cast<const float*>(w.data)[i];
  const uint16_t h = static_cast<const uint16_t*>(w.data)[i];
  if (w.dtype == DType::kF16) return Vec::ScalarF16(h);
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

// kL weights of row n from column k, widened (all in range).
inline VT LoadRow(const WeightMatrix& w, int64_t n, int64_t k) {
  const int64_t off = n * w.cols + k;
  if (w.dtype == DType::kF32) return Vec::Load(static_cast<const float*>(w.data) + off);
  const uint16_t* p = static_cast<const uint16_t*>(w.data) + off;
  return w.dtype == DType::kBF16 ? Vec::LoadBf16(p) : Vec::LoadF16(p);
}

// kL consecutive bf16 pairs (2 kL weights) of a row, as kL dwords.
inline VT LoadPairs(const WeightMatrix& w, int64_t n, int64_t k) {
  return Vec::Load(reinterpret_cast<const float*>(static_cast<const uint16_t*>(w.data) + n * w.cols + k));
}

// ---- Packing ----
// Rows [row0, row0 + kL) x columns [k0, k0 + kc) of W as fp32 into dst[k * kNr + lane]; rows at
// or past rows_end are zero. Full row groups transpose in registers (BF16: dword pairs, halving
// the shuffles).
void PackRows(const WeightMatrix& w, int64_t row0, int64_t rows_end, int64_t k0, int64_t kc, float* dst) {
  const int64_t nv = rows_end - row0;
  VT r[kL];
  int64_t k = 0;
  if (nv >= kL && w.dtype == DType::kBF16) {
    for (; k + 2 * kL <= kc; k += 2 * kL) {
      for (int64_t i = 0; i < kL; ++i) r[i] = LoadPairs(w, row0 + i, k0 + k);
      Vec::Transpose(r);  // r[j]: the pair (k + 2j, k + 2j + 1) of each row
      for (int64_t j = 0; j < kL; ++j) {
        Vec::Store(dst + (k + 2 * j) * kNr, Vec::Bf16Low(r[j]));
        Vec::Store(dst + (k + 2 * j + 1) * kNr, Vec::Bf16High(r[j]));
      }
    }
  }
  if (nv >= kL) {
    for (; k + kL <= kc; k += kL) {
      for (int64_t i = 0; i < kL; ++i) r[i] = LoadRow(w, row0 + i, k0 + k);
      Vec::Transpose(r);
      for (int64_t j = 0; j < kL; ++j) Vec::Store(dst + (k + j) * kNr, r[j]);
    }
  }
  for (; k < kc; ++k)
    for (int64_t i = 0; i < kL; ++i) dst[k * kNr + i] = i < nv ? ScalarWeight(w, row0 + i, k0 + k) : 0.0f;
}

// Rows [n0, n0 + nc) x columns [k0, k0 + kc) as panels [ceil(nc / kNr)][kc][kNr] fp32.
void PackB(const WeightMatrix& w, int64_t n0, int64_t nc, int64_t k0, int64_t kc, float* bp) {
  for (int64_t p = 0; p * kNr < nc; ++p)
    for (int64_t h = 0; h < 2; ++h) PackRows(w, n0 + p * kNr + h * kL, n0 + nc, k0, kc, bp + p * kc * kNr + h * kL);
}

// Rows [0, mr) x columns [0, kc) of x into ap with row stride kKc, so the kernel's rows never
// alias in L1 (x's stride is often a multiple of 4 KiB). A vector loop: memcpy of these short
// rows compiles to `rep movs`, several times slower here.
void PackA(const float* x, int64_t ldx, int64_t mr, int64_t kc, float* ap) {
  for (int64_t m = 0; m < mr; ++m) {
    int64_t k = 0;
    for (; k + kL <= kc; k += kL) Vec::Store(ap + m * kKc + k, Vec::Load(x + m * ldx + k));
    if (k < kc) Vec::StoreN(ap + m * kKc + k, Vec::LoadN(x + m * ldx + k, kc - k), kc - k);
  }
}

// Prefetches the weight block the next PackRows calls will read: its rows are short (kKc
// columns) and KiBs apart, too short for the hardware stream prefetcher. The prefetches are spread
// over the `calls` micro-kernel calls (of `kc_run` k steps each) that run meanwhile, a few every 8
// k steps (Step): issued in a burst per tile, they filled the load and fill buffers and stalled
// the FMAs, and each line's address took a division (one thread, 32 rows: 130 GFLOP/s with both,
// 146 without the division, 157 spread as now).
class BlockPrefetcher {
 public:
  BlockPrefetcher(const WeightMatrix& w, int64_t n0, int64_t rows, int64_t k0, int64_t kc, int64_t calls, int64_t kc_run)
      : row_(static_cast<const char*>(w.data) + (n0 * w.cols + k0) * static_cast<int64_t>(DTypeSize(w.dtype))),
        stride_(w.cols * static_cast<int64_t>(DTypeSize(w.dtype))),
        row_bytes_((kc * static_cast<int64_t>(DTypeSize(w.dtype)) + 63) / 64 * 64),
        left_(rows > 0 ? rows * (row_bytes_ / 64) : 0),
        per_step_((left_ * 8 + Max(1, calls * kc_run) - 1) / Max(1, calls * kc_run)) {}
  // The next few prefetches (called every 8 k steps of a micro-kernel).
  void Step() {
    for (int64_t i = Min(per_step_, left_); i > 0; --i) {
      _mm_prefetch(row_ + line_, _MM_HINT_T1);
      line_ += 64;
      if (line_ == row_bytes_) {
        line_ = 0;
        row_ += stride_;
      }
    }
    left_ = Max(0, left_ - per_step_);
  }

 private:
  const char* row_;
  int64_t stride_, row_bytes_, left_, per_step_, line_ = 0;
};

// ---- Micro-kernel: c[0:M, 0:nr] (+)= a[0:M, 0:kc] · b[0:kc, 0:kNr] (b zero-padded past nr) ----
inline void StoreRow(float* c, VT lo, VT hi, int64_t nr, bool add) {
  if (nr >= kNr) {
    if (add) {
      lo = Vec::Add(lo, Vec::Load(c));
      hi = Vec::Add(hi, Vec::Load(c + kL));
    }
    Vec::Store(c, lo);
    Vec::Store(c + kL, hi);
    return;
  }
  const int64_t n0 = Min(nr, kL), n1 = nr - n0;
  if (add) lo = Vec::Add(lo, Vec::LoadN(c, n0));
  Vec::StoreN(c, lo, n0);
  if (n1 > 0) {
    if (add) hi = Vec::Add(hi, Vec::LoadN(c + kL, n1));
    Vec::StoreN(c + kL, hi, n1);
  }
}

// `pf` (may be null) steps every 8 k.
template <int M>
void Kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool add, int64_t nr,
            BlockPrefetcher* pf) {
  VT acc0[M], acc1[M];
#pragma GCC unroll 16
  for (int m = 0; m < M; ++m) acc0[m] = acc1[m] = Vec::Zero();
  for (int64_t k = 0; k < kc; ++k) {
    if (pf != nullptr && (k & 7) == 0) pf->Step();
    const VT b0 = Vec::Load(b + k * kNr), b1 = Vec::Load(b + k * kNr + kL);
#pragma GCC unroll 16
    for (int m = 0; m < M; ++m) {
      const VT av = Vec::Set(a[m * kKc + k]);
      acc0[m] = Vec::Fma(av, b0, acc0[m]);
      acc1[m] = Vec::Fma(av, b1, acc1[m]);
    }
  }
#pragma GCC unroll 16
  for (int m = 0; m < M; ++m) StoreRow(c + m * ldc, acc0[m], acc1[m], nr, add);
}

// Kernel<mr> for a run-time mr in [1, M].
template <int M>
inline void KernelFor(int64_t mr, int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool add,
                      int64_t nr, BlockPrefetcher* pf) {
  if (mr == M) {
    Kernel<M>(kc, a, b, c, ldc, add, nr, pf);
  } else if constexpr (M > 1) {
    KernelFor<M - 1>(mr, kc, a, b, c, ldc, add, nr, pf);
  }
}

// Large tasks: per (kNc column block, K block) the whole weight block is packed (L2), then each
// row tile (A copied to L1) runs against its panels; the next block is prefetched meanwhile.
void GemmBlocked(const cpu::GemmArgs& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, float* scratch) {
  float* bp = scratch;
  float* ap = scratch + kNc * kKc;
  const int64_t K = a.w->cols, tiles = (t1 - t0 + kMr - 1) / kMr;
  for (int64_t nb = n0; nb < n1; nb += kNc) {
    const int64_t nc = Min(kNc, n1 - nb);
    for (int64_t k0 = 0; k0 < K; k0 += kKc) {
      const int64_t kc = Min(kKc, K - k0);
      PackB(*a.w, nb, nc, k0, kc, bp);
      // The block after this one: same rows further right, or the next rows from column 0.
      const bool same_rows = k0 + kKc < K;
      const int64_t pn = same_rows ? nb : nb + kNc, pk = same_rows ? k0 + kKc : 0;
      const int64_t panels = (nc + kNr - 1) / kNr;
      BlockPrefetcher prefetch(*a.w, pn, Min(kNc, n1 - pn), pk, Min(kKc, K - pk), tiles * panels, kc);
      for (int64_t t = t0; t < t1; t += kMr) {
        const int64_t mr = Min(kMr, t1 - t);
        PackA(a.x + t * a.ldx + k0, a.ldx, mr, kc, ap);
        for (int64_t p = 0; p < panels; ++p) {
          KernelFor<kMr>(mr, kc, ap, bp + p * kc * kNr, a.y + t * a.ldy + nb + p * kNr, a.ldy, k0 > 0,
                         Min(kNr, nc - p * kNr), &prefetch);
        }
      }
    }
  }
}

// Small tasks (rows [t0, t1), columns [n0, n1)): K blocks of kKc in order; rows in chunks of
// kChunkTiles tiles, whose A tiles are copied once per K block; then one weight panel (kKc x kNr
// fp32, 32 KiB on AVX-512) at a time, packed right before every tile of the chunk runs against
// it, so it is still in L1 (GemmBlocked's whole-block packing goes through L2, which its few
// tiles cannot amortise). The next panel's weights are prefetched meanwhile. Every output is
// still one FMA chain per K block, blocks added in order (batch invariance, GEMV below).
void GemmPanels(const cpu::GemmArgs& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, float* scratch) {
  float* bp = scratch;
  float* ap = scratch + kKc * kNr;
  const int64_t K = a.w->cols;
  for (int64_t k0 = 0; k0 < K; k0 += kKc) {
    const int64_t kc = Min(kKc, K - k0);
    for (int64_t c0 = t0; c0 < t1; c0 += kChunkTiles * kMr) {
      const int64_t c1 = Min(t1, c0 + kChunkTiles * kMr), tiles = (c1 - c0 + kMr - 1) / kMr;
      for (int64_t i = 0; i < tiles; ++i)
        PackA(a.x + (c0 + i * kMr) * a.ldx + k0, a.ldx, Min(kMr, c1 - c0 - i * kMr), kc, ap + i * kMr * kKc);
      for (int64_t n = n0; n < n1; n += kNr) {
        const int64_t nr = Min(kNr, n1 - n);
        for (int64_t h = 0; h < 2; ++h) PackRows(*a.w, n + h * kL, n1, k0, kc, bp + h * kL);
        // The next panel: the next columns, or the first ones of the next K block.
        const bool same_k = n + kNr < n1;
        const int64_t pk = same_k ? k0 : k0 + kKc;
        BlockPrefetcher prefetch(*a.w, same_k ? n + kNr : n0, pk < K ? Min(kNr, n1 - (same_k ? n + kNr : n0)) : 0,
                                 pk < K ? pk : 0, pk < K ? Min(kKc, K - pk) : 0, tiles, kc);
        for (int64_t i = 0; i < tiles; ++i) {
          const int64_t t = c0 + i * kMr;
          KernelFor<kMr>(Min(kMr, c1 - t), kc, ap + i * kMr * kKc, bp, a.y + t * a.ldy + n, a.ldy, k0 > 0, nr,
                         &prefetch);
        }
      }
    }
  }
}

// Both loop orders compute every output with the same operations in the same order, so which
// one a task takes (by its row count) never shows in the results.
void GemmImpl(const cpu::GemmArgs& a, int64_t t0, int64_t t1, int64_t n0, int64_t n1, float* scratch) {
  if (t1 - t0 <= kPanelMaxRows) {
    GemmPanels(a, t0, t1, n0, n1, scratch);
  } else {
    GemmBlocked(a, t0, t1, n0, n1, scratch);
  }
}

// ---- GEMV (T <= 4) ----
// Batch invariance: an output must come out bit-identical whichever path computes it (a verdict
// must not depend on what else shares the batch). So the GEMV repeats the GEMM's arithmetic:
// per output a sequential FMA chain over k inside each kKc block, blocks added in order. Lanes
// are kL output rows, W transposed in registers instead of packed.
template <int T>
inline void ChainStep(VT acc[T], const cpu::GemmArgs& a, int64_t k, VT wcol) {
  for (int t = 0; t < T; ++t) acc[t] = Vec::Fma(Vec::Set(a.x[t * a.ldx + k]), wcol, acc[t]);
}

// acc[t] = the chains over columns [k0, k0 + kc) for rows [n, n + kL).
template <int T>
void GemvBlock(const cpu::GemmArgs& a, int64_t n, int64_t k0, int64_t kc, VT acc[T]) {
  const WeightMatrix& w = *a.w;
  const bool full = n + kL <= w.rows;
  VT col[kL];
  int64_t k = 0;
  if (full && w.dtype == DType::kBF16) {
    for (; k + 2 * kL <= kc; k += 2 * kL) {
      for (int64_t i = 0; i < kL; ++i) col[i] = LoadPairs(w, n + i, k0 + k);
      Vec::Transpose(col);
      for (int64_t j = 0; j < kL; ++j) {
        ChainStep<T>(acc, a, k0 + k + 2 * j, Vec::Bf16Low(col[j]));
        ChainStep<T>(acc, a, k0 + k + 2 * j + 1, Vec::Bf16High(col[j]));
      }
    }
  }
  if (full) {
    for (; k + kL <= kc; k += kL) {
      for (int64_t i = 0; i < kL; ++i) col[i] = LoadRow(w, n + i, k0 + k);
      Vec::Transpose(col);
      for (int64_t j = 0; j < kL; ++j) ChainStep<T>(acc, a, k0 + k + j, col[j]);
    }
  }
  for (; k < kc; ++k) {
    alignas(64) float c[kL];
    for (int64_t i = 0; i < kL; ++i) c[i] = n + i < w.rows ? ScalarWeight(w, n + i, k0 + k) : 0.0f;
    ChainStep<T>(acc, a, k0 + k, Vec::Load(c));
  }
}

template <int T>
void GemvRows(const cpu::GemmArgs& a, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; n += kL) {
    VT c[T];
    for (int t = 0; t < T; ++t) c[t] = Vec::Zero();
    for (int64_t k0 = 0; k0 < a.w->cols; k0 += kKc) {
      VT acc[T];
      for (int t = 0; t < T; ++t) acc[t] = Vec::Zero();
      GemvBlock<T>(a, n, k0, Min(kKc, a.w->cols - k0), acc);
      for (int t = 0; t < T; ++t) c[t] = k0 == 0 ? acc[t] : Vec::Add(acc[t], c[t]);
    }
    const int64_t left = Min(n1, a.w->rows) - n;
    for (int t = 0; t < T; ++t) {
      if (left >= kL) Vec::Store(a.y + t * a.ldy + n, c[t]); else Vec::StoreN(a.y + t * a.ldy + n, c[t], left);
    }
  }
}

void GemvImpl(const cpu::GemmArgs& a, int64_t T, int64_t n0, int64_t n1) {
  switch (T) {
    case 1: GemvRows<1>(a, n0, n1); break;
    case 2: GemvRows<2>(a, n0, n1); break;
    case 3: GemvRows<3>(a, n0, n1); break;
    default: GemvRows<4>(a, n0, n1); break;
  }
}

}  // namespace

void FillGemmOps(cpu::OpTable& t) {
  t.gemm_mr = kMr;
  t.gemm_nc = kNc;
  // GemmBlocked: weight block + one A tile; GemmPanels: one panel + the chunk's A tiles.
  t.gemm_scratch_floats = Max(kNc * kKc + kMr * kKc, kKc * kNr + kChunkTiles * kMr * kKc);
  t.gemm = GemmImpl;
  t.gemv_max_rows = 4;
  t.gemv = GemvImpl;
}

}  // namespace haloguard::kernels::HG_TARGET
