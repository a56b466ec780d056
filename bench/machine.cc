// Bench section "machine": the peaks the other sections are measured against, measured here
// rather than quoted: fp32 FMA, int8 VNNI, bf16 dot-product and, where they run, AMX tile
// throughput (register-only loops on every thread), and the memory read bandwidth. SIMD loops use per-function target
// attributes and run only where the CPU has the instructions.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <cstring>
#include <memory>
#include <vector>

#include "bench/bench.h"
#include "core/clock.h"
#include "kernels/cpu/amx_tiles.h"
#include "kernels/kernels.h"

namespace haloguard::bench {
namespace {

// Independent accumulators (> 2 pipes x 4-cycle latency), fully unrolled so they stay in
// registers; the loops are checked in the object code (a memory-resident accumulator would
// measure store-forwarding latency, not the FMA units).
constexpr int kAcc = 24;
std::atomic<uint64_t> g_sink{0};  // keeps results observable

#if defined(__x86_64__)
__attribute__((target("avx512f"))) double FmaAvx512(int64_t iters) {
  __m512 acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
  const __m512 b = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 24
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
  float s = 0;
  for (int i = 0; i < kAcc; ++i) s += _mm512_reduce_add_ps(acc[i]);
  g_sink += s > 0;
  return double(iters) * kAcc * 32;
}

__attribute__((target("avx2,fma"))) double FmaAvx2(int64_t iters) {
  constexpr int kN = 12;
  __m256 acc[kN];
  for (int i = 0; i < kN; ++i) acc[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
  const __m256 b = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < kN; ++i) acc[i] = _mm256_fmadd_ps(acc[i], b, c);
  alignas(32) float out[8];
  float s = 0;
  for (int i = 0; i < kN; ++i) {
    _mm256_store_ps(out, acc[i]);
    for (float v : out) s += v;
  }
  g_sink += s > 0;
  return double(iters) * kN * 16;
}

// Twelve named accumulators: GCC keeps an array of them in memory around the inline asm (and
// around the intrinsic, see gemm_int8_vnni.cc).
__attribute__((target("avx512f,avx512vnni"))) double VnniAvx512(int64_t iters) {
  __m512i c0 = _mm512_set1_epi32(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  __m512i c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
#define HG_DP(acc) asm("vpdpbusd %[b], %[a], %[c]" : [c] "+v"(acc) : [a] "v"(a), [b] "v"(b))
  for (int64_t it = 0; it < iters; ++it) {
    HG_DP(c0); HG_DP(c1); HG_DP(c2); HG_DP(c3); HG_DP(c4); HG_DP(c5);
    HG_DP(c6); HG_DP(c7); HG_DP(c8); HG_DP(c9); HG_DP(c10); HG_DP(c11);
  }
#undef HG_DP
  __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                               _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7)));
  s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(c8, c9), _mm512_add_epi32(c10, c11)));
  g_sink += _mm512_reduce_add_epi32(s) > 0;
  return double(iters) * 12 * 128;  // 64 multiply-adds per instruction
}

// AMX tile throughput, register-only: four accumulator tiles against two resident A and two B
// tiles (what the AMX kernels issue per k step), tdpbf16ps if kBf16 else tdpbusd. Run only where
// kernels::Amx*Supported() (the process holds the tile permission).
alignas(64) const uint8_t kAmxZeros[1024] = {};

template <bool kBf16>
__attribute__((target("amx-tile,amx-int8,amx-bf16"))) double Amx(int64_t iters) {
  const kernels::cpu::AmxTileConfig c;
  _tile_loadconfig(&c);
  _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
  _tile_loadd(4, kAmxZeros, 64); _tile_loadd(5, kAmxZeros, 64);
  _tile_loadd(6, kAmxZeros, 64); _tile_loadd(7, kAmxZeros, 64);
  for (int64_t it = 0; it < iters; ++it) {
    if constexpr (kBf16) {
      _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7); _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7);
    } else {
      _tile_dpbusd(0, 4, 6); _tile_dpbusd(1, 4, 7); _tile_dpbusd(2, 5, 6); _tile_dpbusd(3, 5, 7);
    }
  }
  alignas(64) int32_t out[256];
  _tile_stored(0, out, 64);
  _tile_release();
  g_sink += out[0] == 0;
  return double(iters) * 4 * (16 * 16 * (kBf16 ? 32 : 64)) * 2;  // 2 ops per multiply-add
}

__attribute__((target("avx512f,avx512bf16"))) double Bf16Avx512(int64_t iters) {
  __m512 acc[kAcc];
  for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_set1_ps(float(i));
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(2e-3f));
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 24
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, a);
  float s = 0;
  for (int i = 0; i < kAcc; ++i) s += _mm512_reduce_add_ps(acc[i]);
  g_sink += s > 0;
  return double(iters) * kAcc * 64;  // 32 multiply-adds per instruction
}
#endif

// Runs loop(iters) on every pool thread at once; returns total operations per second: iters is
// scaled until a run lasts >= 0.1 s, then the best of 5 runs is kept (other load on the machine
// can only lower a run's rate, never raise it).
double Throughput(ThreadPool& pool, double (*loop)(int64_t)) {
  std::vector<double> ops(pool.num_threads());
  auto run = [&](int64_t iters) {
    const Clock::time_point t0 = Clock::now();
    pool.Run(pool.num_threads(), [&](int task, int) { ops[task] = loop(iters); });
    const double s = SecondsSince(t0);
    double total = 0;
    for (double o : ops) total += o;
    return std::pair<double, double>(total / s, s);
  };
  int64_t iters = 1 << 16;
  while (run(iters).second < 0.1) iters *= 2;
  double best = 0;
  for (int i = 0; i < 5; ++i) best = std::max(best, run(iters).first);
  return best;
}

// One thread, timed by its CPU time (immune to other load): the per-core peak.
double CpuThroughput(double (*loop)(int64_t)) {
  auto run = [&](int64_t iters) {
    const double t0 = ThreadCpuSeconds();
    const double ops = loop(iters);
    return std::pair<double, double>(ops / (ThreadCpuSeconds() - t0), ThreadCpuSeconds() - t0);
  };
  int64_t iters = 1 << 16;
  while (run(iters).second < 0.05) iters *= 2;
  double best = 0;
  for (int i = 0; i < 5; ++i) best = std::max(best, run(iters).first);
  return best;
}

double LoadAverage() {
  std::ifstream f("/proc/loadavg");
  double one = -1;
  f >> one;
  return one;
}

// Read bandwidth over a buffer well beyond the last-level cache, all threads.
double ReadBandwidth(ThreadPool& pool) {
  const size_t n = (256u << 20) / sizeof(float);
  std::unique_ptr<float[]> buf(new float[n]);
  pool.ParallelFor(0, int64_t(n), 1 << 16, [&](int64_t b, int64_t e, int) {
    std::memset(buf.get() + b, 0, (e - b) * sizeof(float));
  });
  std::atomic<uint64_t> sink{0};
  auto pass = [&] {
    pool.ParallelFor(0, int64_t(n), 1 << 20, [&](int64_t b, int64_t e, int) {
      float s[8] = {};
      for (int64_t i = b; i + 8 <= e; i += 8)
        for (int j = 0; j < 8; ++j) s[j] += buf[i + j];
      sink += s[0] + s[7] > 0;
    });
  };
  pass();
  const double sec = MedianSeconds(3, pass);
  return double(n * sizeof(float)) / sec;
}

}  // namespace

Status MachineSection(BenchEnv& env, Report& r) {
  ThreadPool& pool = env.pool();
  ThreadPool one(1);
  r.Add("machine", "threads", pool.num_threads(), "");
  // Other processes on the machine skew every wall-clock figure below; this says how busy it was.
  r.Add("machine", "load_average_1min", LoadAverage(), "");
  r.Add("machine", "isa_avx512", kernels::ActiveIsa() == kernels::Isa::kAvx512, "bool");
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f"), avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx512 || avx2) {
    auto* fma = avx512 ? FmaAvx512 : FmaAvx2;
    r.Add("machine", "fp32_fma.gflops_1thread", Throughput(one, fma) / 1e9, "GFLOP/s");
    r.Add("machine", "fp32_fma.gflops", Throughput(pool, fma) / 1e9, "GFLOP/s");
    r.Add("machine", "fp32_fma.cpu_gflops_per_core", CpuThroughput(fma) / 1e9, "GFLOP/s");
  }
  if (avx512 && __builtin_cpu_supports("avx512vnni")) {
    r.Add("machine", "int8_vnni.gops", Throughput(pool, VnniAvx512) / 1e9, "GOP/s");
    r.Add("machine", "int8_vnni.cpu_gops_per_core", CpuThroughput(VnniAvx512) / 1e9, "GOP/s");
  }
  if (avx512 && __builtin_cpu_supports("avx512bf16")) r.Add("machine", "bf16_dot.gflops", Throughput(pool, Bf16Avx512) / 1e9, "GFLOP/s");
  if (kernels::AmxInt8Supported()) {
    r.Add("machine", "amx_int8.gops", Throughput(pool, Amx<false>) / 1e9, "GOP/s");
    r.Add("machine", "amx_int8.cpu_gops_per_core", CpuThroughput(Amx<false>) / 1e9, "GOP/s");
  }
  if (kernels::AmxBf16Supported()) r.Add("machine", "amx_bf16.gflops", Throughput(pool, Amx<true>) / 1e9, "GFLOP/s");
#endif
  r.Add("machine", "memory_read.gbs", ReadBandwidth(pool) / 1e9, "GB/s");
  return OkStatus();
}

}  // namespace haloguard::bench
