// Matrix-multiplication drivers: split y = x · W^T into tasks for the thread pool and call the
// active target's GEMM / GEMV / int8 / bf16 kernels (cpu/ops.h); int8 weight quantisation.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/bf16.h"
#include "core/check.h"
#include "kernels/cpu/ops.h"
#include "kernels/kernels.h"
#include "kernels/reference/reference.h"

namespace haloguard::kernels {
namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Per-thread scratch of at least `bytes`, 64-byte aligned, kept for the thread's lifetime (the
// pool's threads are long-lived, so kernels allocate nothing in steady state). Slot kTile is
// used inside tasks, slot kActivations by the calling thread around a whole call.
enum Slot { kTile, kActivations, kNumSlots };
void* Scratch(Slot slot, size_t bytes) {
  thread_local std::unique_ptr<void, FreeDeleter> buf[kNumSlots];
  thread_local size_t cap[kNumSlots] = {};
  if (cap[slot] < bytes) {
    cap[slot] = (bytes + 63) / 64 * 64;
    buf[slot].reset(std::aligned_alloc(64, cap[slot]));
    HG_CHECK(buf[slot] != nullptr) << "out of memory for " << cap[slot] << " bytes of kernel scratch";
  }
  return buf[slot].get();
}

// Splits T rows x N columns into tasks: column blocks of `nc`, and row ranges (whole `mr`
// tiles) only when there are too few column blocks to keep every thread busy.
struct TaskGrid {
  int64_t nc, nblocks, rows_per_part, parts;
  TaskGrid(int64_t T, int64_t N, int64_t mr, int64_t nc_, int threads) : nc(nc_) {
    nblocks = (N + nc - 1) / nc;
    const int64_t tiles = (T + mr - 1) / mr, want = 4 * static_cast<int64_t>(threads);
    parts = nblocks >= want ? 1 : std::min(tiles, (want + nblocks - 1) / nblocks);
    rows_per_part = (tiles + parts - 1) / parts * mr;
  }
  int num_tasks() const { return static_cast<int>(nblocks * parts); }
  // Rows [t0, t1) and columns [n0, n1) of task i (t0 >= t1: nothing to do).
  void Get(int i, int64_t T, int64_t N, int64_t* t0, int64_t* t1, int64_t* n0, int64_t* n1) const {
    *n0 = (i % nblocks) * nc;
    *n1 = std::min(N, *n0 + nc);
    *t0 = (i / nblocks) * rows_per_part;
    *t1 = std::min(T, *t0 + rows_per_part);
  }
};

// Column-block width of the fp32 GEMM's tasks: the packed width `nc`, halved (down to 64) while
// there are fewer blocks than 4 per thread. Every task then packs its weight block once for all
// T rows, instead of TaskGrid splitting the rows and packing the same block once per part.
int64_t GemmColumnBlock(int64_t N, int64_t nc, int threads) {
  while (nc > 64 && (N + nc - 1) / nc < 4 * static_cast<int64_t>(threads)) nc /= 2;
  return nc;
}

void MatMulInt8(ThreadPool& pool, const float* x, int64_t T, const WeightMatrix& w, float* y) {
  const cpu::OpTable& ops = cpu::Ops();
  const QuantizedMatrix& q = *w.int8;
  const int64_t K = q.cols, N = q.rows, K4 = cpu::RoundUp(K, 4);
  // Quantised activations: caller-thread scratch, [T + kAmxPadRows, K4] bytes (the AMX
  // kernel's overread, zeroed) then [T] scales.
  const int64_t padded = (T + cpu::kAmxPadRows) * K4;
  auto* xu = static_cast<uint8_t*>(Scratch(kActivations, static_cast<size_t>(padded + 64 + T * 4)));
  auto* sx = reinterpret_cast<float*>(xu + cpu::RoundUp(padded, 64));
  pool.ParallelFor(0, T, 16, [&](int64_t t0, int64_t t1, int) {
    ops.quantize_rows(x + t0 * K, t1 - t0, K, K, xu + t0 * K4, sx + t0);
  });
  std::memset(xu + T * K4, 0, static_cast<size_t>(padded - T * K4));
  const bool amx = ops.gemm_int8_amx != nullptr && AmxEnabled() && ops.int8_amx_fits(K);
  const auto gemm = amx ? ops.gemm_int8_amx : ops.gemm_int8;
  const cpu::Int8Args a{xu, sx, q.packed.data(), q.scale.data(), q.row_sum.data(), K, y, N};
  const int64_t P = cpu::kInt8PanelRows;
  const TaskGrid grid(T, N, ops.int8_mr, 8 * P, pool.num_threads());
  // Split columns only, in whole panels, also when there are few column blocks but at most
  // kInt8ColumnsOnlyRows rows: split by rows, every part would stream the same weights, and at
  // these sizes the weight stream is what the GEMM waits for (the 1024-row projections of a
  // 57-row pass ran as 42 + 15-row parts). Integer sums: any split gives the same bits.
  constexpr int64_t kInt8ColumnsOnlyRows = 128;
  if (grid.parts == 1 || T <= std::max(ops.int8_mr, kInt8ColumnsOnlyRows)) {
    pool.ParallelFor(0, (N + P - 1) / P, 1, [&](int64_t p0, int64_t p1, int) {
      gemm(a, 0, T, p0 * P, std::min(N, p1 * P));
    });
    return;
  }
  pool.Run(grid.num_tasks(), [&](int i, int) {
    int64_t t0, t1, n0, n1;
    grid.Get(i, T, N, &t0, &t1, &n0, &n1);
    if (t0 < t1) gemm(a, t0, t1, n0, n1);
  });
}

// The bf16 compute mode (kernels.h MatMul): x rounded to bf16 into caller-thread scratch, then
// column units of 32 (T <= 4: memory bound, every thread streams its own rows of W) or the
// TaskGrid split. Any split gives the same bits (cpu/gemm_bf16.cc).
void MatMulBf16(ThreadPool& pool, cpu::Bf16GemmFn gemm, const float* x, int64_t T,
                const WeightMatrix& w, float* y) {
  const int64_t K = w.cols, N = w.rows, K32 = cpu::RoundUp(K, 32);
  // [T + kAmxPadRows, K32]: the AMX kernel's overread, zeroed.
  const int64_t padded = (T + cpu::kAmxPadRows) * K32;
  auto* xb = static_cast<uint16_t*>(Scratch(kActivations, static_cast<size_t>(padded) * 2));
  const cpu::Bf16RoundFn round = cpu::Bf16RoundRow();
  pool.ParallelFor(0, T, 16, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; ++t) round(x + t * K, K, xb + t * K32, K32);
  });
  std::memset(xb + T * K32, 0, static_cast<size_t>(padded - T * K32) * 2);
  const cpu::Bf16Args a{xb, K32, static_cast<const uint16_t*>(w.data), K, y, N};
  const TaskGrid grid(T, N, 4, 64, pool.num_threads());
  pool.Run(grid.num_tasks(), [&](int i, int) {
    int64_t t0, t1, n0, n1;
    grid.Get(i, T, N, &t0, &t1, &n0, &n1);
    if (t0 < t1) gemm(a, t0, t1, n0, n1, Scratch(kTile, static_cast<size_t>(cpu::kBf16ScratchBytesPerK32 * K32)));
  });
}

// W row n as fp32 (the dtype switch hoisted out of the element loop).
void WidenRow(const WeightMatrix& w, int64_t n, float* out) {
  const int64_t K = w.cols;
  if (w.dtype == DType::kF32) {
    std::copy_n(static_cast<const float*>(w.data) + n * K, K, out);
    return;
  }
  const uint16_t* p = static_cast<const uint16_t*>(w.data) + n * K;
  if (w.dtype == DType::kBF16) {
    for (int64_t k = 0; k < K; ++k) out[k] = Bf16ToF32(p[k]);
  } else {
    for (int64_t k = 0; k < K; ++k) out[k] = F16ToF32(p[k]);
  }
}

}  // namespace

void MatMul(ThreadPool& pool, const float* x, int64_t T, const WeightMatrix& w, float* y) {
  if (T <= 0 || w.rows <= 0) return;
  if (w.int8 != nullptr) {
    MatMulInt8(pool, x, T, w, y);
    return;
  }
  if (w.bf16_compute && w.dtype == DType::kBF16) {
    if (cpu::Bf16GemmFn gemm = cpu::Bf16Gemm()) {
      MatMulBf16(pool, gemm, x, T, w, y);
      return;
    }
  }
  const cpu::OpTable& ops = cpu::Ops();
  const int64_t N = w.rows, K = w.cols;
  const cpu::GemmArgs a{x, K, &w, y, N};
  if (T <= ops.gemv_max_rows) {
    // Units of 32 rows: a multiple of every target's GEMV row group.
    constexpr int64_t kUnit = 32;
    pool.ParallelFor(0, (N + kUnit - 1) / kUnit, 1, [&](int64_t u0, int64_t u1, int) {
      ops.gemv(a, T, u0 * kUnit, std::min(N, u1 * kUnit));
    });
    return;
  }
  const TaskGrid grid(T, N, ops.gemm_mr, GemmColumnBlock(N, ops.gemm_nc, pool.num_threads()), pool.num_threads());
  const size_t scratch = static_cast<size_t>(ops.gemm_scratch_floats + K) * sizeof(float);
  pool.Run(grid.num_tasks(), [&](int i, int) {
    int64_t t0, t1, n0, n1;
    grid.Get(i, T, N, &t0, &t1, &n0, &n1);
    if (t0 < t1) ops.gemm(a, t0, t1, n0, n1, static_cast<float*>(Scratch(kTile, scratch)));
  });
}

void MatMulRows(ThreadPool& pool, const float* x, int64_t T, const WeightMatrix& w,
                std::span<const int32_t> rows, float* y) {
  (void)pool;  // a handful of vocabulary rows: not worth a dispatch
  ref::MatMulRows(x, T, w, rows, y);
}

int8_t QuantizedMatrix::At(int64_t n, int64_t k) const {
  const int64_t P = cpu::kInt8PanelRows, groups = cpu::RoundUp(cols, 4) / 4;
  return packed[static_cast<size_t>((((n / P) * groups + k / 4) * P + n % P) * 4 + k % 4)];
}

QuantizedMatrix QuantizeWeights(ThreadPool& pool, const WeightMatrix& w) {
  QuantizedMatrix q;
  q.rows = w.rows;
  q.cols = w.cols;
  const int64_t P = cpu::kInt8PanelRows, K = w.cols, groups = cpu::RoundUp(K, 4) / 4;
  q.packed.assign(static_cast<size_t>(cpu::RoundUp(w.rows, P) * groups * 4), 0);
  q.scale.assign(static_cast<size_t>(w.rows), 1.0f);
  q.row_sum.assign(static_cast<size_t>(w.rows), 0);
  pool.ParallelFor(0, w.rows, 64, [&](int64_t n0, int64_t n1, int) {
    std::vector<float> row(static_cast<size_t>(K));
    for (int64_t n = n0; n < n1; ++n) {
      WidenRow(w, n, row.data());
      float amax = 0;
      for (int64_t k = 0; k < K; ++k) amax = std::max(amax, std::fabs(row[k]));
      const float inv = amax > 0 ? 127.0f / amax : 1.0f;
      q.scale[n] = amax > 0 ? amax / 127.0f : 1.0f;
      int8_t* base = q.packed.data() + ((n / P) * groups * P + n % P) * 4;
      for (int64_t k = 0; k < K; ++k) {
        const float v = std::clamp(std::nearbyint(row[k] * inv), -127.0f, 127.0f);
        base[(k / 4) * P * 4 + k % 4] = static_cast<int8_t>(v);
        q.row_sum[n] += static_cast<int32_t>(v);
      }
    }
  });
  return q;
}

}  // namespace haloguard::kernels
