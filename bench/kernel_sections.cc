// Bench section "kernels": the hot ops alone at the 0.8B shapes (taken from the checkpoint's
// config), side by side with their alternatives: fp32 GEMM vs int8 GEMM vs the GEMV path, the
// recurrent delta rule (fast) vs the chunked form (reference), attention over a cached prefix,
// and the thread pool's dispatch cost.
#include <algorithm>
#include <cmath>

#include "bench/workload.h"
#include "core/bf16.h"
#include "kernels/kernels.h"
#include "kernels/reference/reference.h"

namespace haloguard::bench {
namespace {

std::vector<float> Noise(int64_t n, uint32_t seed, float scale) {
  std::vector<int32_t> ids = TokenIds(n, 1 << 20, seed);
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = scale * (float(ids[i]) / float(1 << 19) - 1.0f);
  return v;
}

void MatmulKernels(BenchEnv& env, Report& r, const model::TextConfig& c) {
  const int64_t N = c.intermediate_size, K = c.hidden_size;  // the MLP up/gate shape
  const std::vector<float> wf = Noise(N * K, 1, 0.05f);
  std::vector<uint16_t> wb(N * K);
  for (int64_t i = 0; i < N * K; ++i) wb[i] = F32ToBf16(wf[i]);
  kernels::WeightMatrix w{wb.data(), DType::kBF16, N, K};
  const kernels::QuantizedMatrix q = kernels::QuantizeWeights(env.pool(), w);
  kernels::WeightMatrix wq = w, wbc = w;
  wq.int8 = &q;
  wbc.bf16_compute = true;  // the --weights bf16 kernel (exact fallback where AVX512_BF16 is missing)
  const std::string shape = std::to_string(K) + "x" + std::to_string(N);
  for (int64_t T : {int64_t{1}, int64_t{64}, int64_t{600}}) {
    const std::vector<float> x = Noise(T * K, 2, 1.0f);
    std::vector<float> y(T * N);
    for (const auto& [tag, m] : {std::pair<const char*, const kernels::WeightMatrix*>{"bf16", &w}, {"int8", &wq}, {"bf16_compute", &wbc}}) {
      kernels::MatMul(env.pool(), x.data(), T, *m, y.data());
      const double s = MedianSeconds(env.options().repeats + 2, [&] { kernels::MatMul(env.pool(), x.data(), T, *m, y.data()); });
      r.Add("kernels", std::string("matmul_") + tag + ".t" + std::to_string(T) + "_" + shape + ".gflops",
            2.0 * T * N * K / s / 1e9, "GFLOP/s");
    }
  }
}

// One thread, timed by its CPU time (robust to other load on a shared machine): the same pass's
// GFLOP/s per core and the fraction of the per-core fp32 peak (machine.fp32_fma.cpu_gflops_per_core).
void CpuStreamedRate(Report& r, const std::vector<const kernels::WeightMatrix*>& mats, const float* x, float* y,
                     int64_t T, double macs, const std::string& k) {
  ThreadPool one(1);
  double best = 1e300;
  for (int i = 0; i < (T >= 128 ? 1 : 2); ++i) {
    const double t0 = ThreadCpuSeconds();
    for (const kernels::WeightMatrix* w : mats) kernels::MatMul(one, x, T, *w, y);
    best = std::min(best, ThreadCpuSeconds() - t0);
  }
  const double rate = 2 * macs * T / best / 1e9, core_peak = r.Get("machine", "fp32_fma.cpu_gflops_per_core");
  r.Add("kernels", k + ".cpu_gflops_per_core", rate, "GFLOP/s");
  if (std::isfinite(core_peak)) r.Add("kernels", k + ".fraction_of_core_peak", rate / core_peak, "");
}

// The model's own MLP matrices (gate, up, down of every layer: 528 MB for the 0.8B shape, more
// than any L3) multiplied in sequence like a forward pass does, so the weights stream from
// memory: at T <= 4 the bytes per second that reach the GEMV (the small-T target: >= 20 GB/s
// for bf16 weights), at 32-600 rows GFLOP/s and the fraction of the fp32 peak. `tag` names the
// weight mode; `m` must be loaded in it.
void StreamedMlp(BenchEnv& env, Report& r, const model::Model& m, const std::string& tag) {
  const model::TextConfig& c = m.config();
  std::vector<const kernels::WeightMatrix*> mats;
  for (const model::LayerWeights& l : m.weights().layers) mats.insert(mats.end(), {&l.gate_proj, &l.up_proj, &l.down_proj});
  double bytes = 0, macs = 0;
  for (const kernels::WeightMatrix* w : mats) {
    bytes += double(w->rows) * w->cols * DTypeSize(w->dtype);
    macs += double(w->rows) * w->cols;
  }
  const double fp32_peak = r.Get("machine", "fp32_fma.gflops"), bf16_peak = r.Get("machine", "bf16_dot.gflops");
  const int64_t W = std::max(c.intermediate_size, c.hidden_size);
  const std::vector<int64_t> rows = env.options().quick ? std::vector<int64_t>{1, 32}
                                                        : std::vector<int64_t>{1, 2, 4, 32, 57, 128, 600};
  for (int64_t T : rows) {
    const std::vector<float> x = Noise(T * W, 8, 1.0f);
    std::vector<float> y(T * W);
    auto pass = [&] {
      for (const kernels::WeightMatrix* w : mats) kernels::MatMul(env.pool(), x.data(), T, *w, y.data());
    };
    pass();  // fault the pages in
    const double s = MedianSeconds(T >= 128 ? 1 : env.options().repeats, pass);
    const std::string k = "mlp_stream_" + tag + ".t" + std::to_string(T);
    if (T <= 4) r.Add("kernels", k + ".weight_gbs", bytes / s / 1e9, "GB/s");
    r.Add("kernels", k + ".gflops", 2 * macs * T / s / 1e9, "GFLOP/s");
    const double peak = tag == "bf16" ? bf16_peak : fp32_peak;
    if (T >= 32 && std::isfinite(peak)) r.Add("kernels", k + ".fraction_of_" + (tag == "bf16" ? "bf16" : "fp32") + "_peak",
                                              2 * macs * T / s / 1e9 / peak, "");
    if (T >= 32 && tag == "exact") CpuStreamedRate(r, mats, x.data(), y.data(), T, macs, k);
  }
}

void SequenceKernels(BenchEnv& env, Report& r, const model::TextConfig& c) {
  const int64_t T = env.options().quick ? 64 : 600, Hk = c.linear_num_key_heads, Hv = c.linear_num_value_heads;
  const int64_t Dk = c.linear_key_head_dim, Dv = c.linear_value_head_dim;
  std::vector<float> qk = Noise(T * Hk * Dk, 3, 1.0f), k = Noise(T * Hk * Dk, 4, 1.0f);
  kernels::L2NormRows(qk.data(), T * Hk, Dk, Dk, 1e-6f, 1.0f / std::sqrt(float(Dk)));
  kernels::L2NormRows(k.data(), T * Hk, Dk, Dk, 1e-6f, 1.0f);
  const std::vector<float> v = Noise(T * Hv * Dv, 5, 1.0f), g(T * Hv, -0.05f), beta(T * Hv, 0.5f);
  std::vector<float> out(T * Hv * Dv), state(Hv * Dk * Dv);
  const double flops = 7.0 * Dk * Dv * Hv * T;
  for (auto form : {kernels::DeltaRuleForm::kRecurrent, kernels::DeltaRuleForm::kChunked}) {
    const double s = MedianSeconds(env.options().repeats, [&] {
      kernels::GatedDeltaRule(env.pool(), qk.data(), k.data(), Hk * Dk, v.data(), Hv * Dv, g.data(), beta.data(),
                              T, Hk, Hv, Dk, Dv, nullptr, state.data(), out.data(), form);
    });
    const std::string tag = form == kernels::DeltaRuleForm::kRecurrent ? "recurrent_fast" : "chunked_reference";
    r.Add("kernels", "delta_rule_" + tag + ".t" + std::to_string(T) + ".gflops", flops / s / 1e9, "GFLOP/s");
  }
  // Attention for T new tokens over a P-token cached prefix (the prefix-cache case).
  const int64_t Nq = c.num_attention_heads, Nkv = c.num_key_value_heads, Dh = c.head_dim, P = T;
  const std::vector<float> q = Noise(T * Nq * Dh, 6, 1.0f), kv = Noise((P + T) * Nkv * Dh, 7, 1.0f);
  std::vector<float> att(T * Nq * Dh);
  const double s = MedianSeconds(env.options().repeats, [&] {
    kernels::Attention(env.pool(), q.data(), T, Nq, Dh, Nkv, kv.data(), kv.data(), P, kv.data() + P * Nkv * Dh,
                       kv.data() + P * Nkv * Dh, 0.0625f, att.data());
  });
  r.Add("kernels", "attention.t" + std::to_string(T) + "_p" + std::to_string(P) + ".gflops",
        4.0 * Dh * Nq * (double(T) * P + double(T) * (T + 1) / 2) / s / 1e9, "GFLOP/s");
}

}  // namespace

Status KernelsSection(BenchEnv& env, Report& r) {
  HG_ASSIGN_OR_RETURN(const model::Model* m, env.GetModel(model::WeightMode::kExact, r));
  r.Add("kernels", "isa_avx512", kernels::ActiveIsa() == kernels::Isa::kAvx512, "bool");
  MatmulKernels(env, r, m->config());
  StreamedMlp(env, r, *m, "exact");
  if (env.options().bf16 && kernels::Bf16ComputeSupported()) {
    HG_ASSIGN_OR_RETURN(const model::Model* mb, env.GetModel(model::WeightMode::kBf16, r));
    StreamedMlp(env, r, *mb, "bf16");
  }
  SequenceKernels(env, r, m->config());
  // Dispatch cost: one pool job of num_threads empty tasks.
  const double s = MedianSeconds(5, [&] {
    for (int i = 0; i < 1000; ++i) env.pool().Run(env.pool().num_threads(), [](int, int) {});
  });
  r.Add("kernels", "pool_dispatch.us", s / 1000 * 1e6, "us");
  return OkStatus();
}

}  // namespace haloguard::bench
