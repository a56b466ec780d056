// Model-level bench sections: prompt processing (tokens/s, achieved GFLOP/s against the measured
// peak, stage profile) and decode for the exact and int8 weight modes, ragged batching and
// forked prefix states, int8 accuracy against the exact path, and peak memory.
#include <algorithm>
#include <cmath>

#include "bench/workload.h"
#include "kernels/kernels.h"
#include "core/clock.h"

namespace haloguard::bench {
namespace {

using model::WeightMode;

std::vector<int64_t> PromptLengths(const BenchOptions& o) {
  return o.quick ? std::vector<int64_t>{64, 256} : std::vector<int64_t>{64, 256, 600, 1200};
}

// tokens/s, GFLOP/s and fraction of the measured peaks for each prompt length.
void PrefillSweep(BenchEnv& env, Report& r, const model::Model& m, const std::string& sec) {
  const model::TextConfig& c = m.config();
  const double fp32_peak = r.Get("machine", "fp32_fma.gflops");
  // The peak of the kernel that runs: AMX where the mode uses it (kernels.h), else VNNI/vdpbf16ps.
  const bool amx = kernels::AmxEnabled();
  const double int8_peak = r.Get("machine", amx && kernels::AmxInt8Supported() ? "amx_int8.gops" : "int8_vnni.gops");
  const double bf16_peak = r.Get("machine", amx && kernels::AmxBf16Supported() ? "amx_bf16.gflops" : "bf16_dot.gflops");
  if (m.weight_mode() == WeightMode::kInt8) r.Add(sec, "matmul_amx", amx && kernels::AmxInt8Supported(), "bool");
  if (m.weight_mode() == WeightMode::kBf16) r.Add(sec, "matmul_amx", amx && kernels::AmxBf16Supported(), "bool");
  TimePrefill(m, env.pool(), TokenIds(64, c.vocab_size, 1));  // warm-up: page in, grow scratch
  for (int64_t T : PromptLengths(env.options())) {
    const std::vector<int32_t> ids = TokenIds(T, c.vocab_size, 2);
    const double s = MedianSeconds(env.options().repeats, [&] { TimePrefill(m, env.pool(), ids); });
    const std::string k = "prefill.t" + std::to_string(T);
    const double gflops = ForwardFlops(c, T, 0) / s / 1e9;
    r.Add(sec, k + ".tokens_per_s", double(T) / s, "tok/s");
    r.Add(sec, k + ".ms", s * 1e3, "ms");
    r.Add(sec, k + ".gflops", gflops, "GFLOP/s");
    if (std::isfinite(fp32_peak)) r.Add(sec, k + ".fraction_of_fp32_peak", gflops / fp32_peak, "");
    if (m.weight_mode() == WeightMode::kInt8 && std::isfinite(int8_peak)) {
      r.Add(sec, k + ".fraction_of_int8_peak", gflops / int8_peak, "");
    }
    if (m.weight_mode() == WeightMode::kBf16 && std::isfinite(bf16_peak)) {
      r.Add(sec, k + ".fraction_of_bf16_peak", gflops / bf16_peak, "");
    }
  }
}

// The same prompt on one thread, timed by its CPU time: tokens per CPU-second and the fraction
// of the per-core peak, robust to other load on the machine. Times the core count, it bounds what
// an idle machine gives (the work parallelises over independent heads, rows and columns).
void CpuPrefill(BenchEnv& env, Report& r, const model::Model& m, const std::string& sec) {
  const int64_t T = env.options().quick ? 64 : 600;
  const std::vector<int32_t> ids = TokenIds(T, m.config().vocab_size, 4);
  ThreadPool one(1);
  TimePrefill(m, one, ids);
  double best = 1e300;
  for (int i = 0; i < std::max(1, env.options().repeats - 1); ++i) {
    const double t0 = ThreadCpuSeconds();
    TimePrefill(m, one, ids);
    best = std::min(best, ThreadCpuSeconds() - t0);
  }
  const std::string k = "cpu1.t" + std::to_string(T) + ".";
  r.Add(sec, k + "tokens_per_cpu_second", double(T) / best, "tok/s");
  const bool amx_int8 = kernels::AmxEnabled() && kernels::AmxInt8Supported();
  const double core_peak = r.Get("machine", m.weight_mode() != WeightMode::kInt8 ? "fp32_fma.cpu_gflops_per_core"
                                            : amx_int8 ? "amx_int8.cpu_gops_per_core" : "int8_vnni.cpu_gops_per_core");
  const double rate = ForwardFlops(m.config(), T, 0) / best / 1e9;
  r.Add(sec, k + "gflops_per_core", rate, "GFLOP/s");
  if (std::isfinite(core_peak)) r.Add(sec, k + "fraction_of_core_peak", rate / core_peak, "");
}

// Where the time of a T-token prompt goes, and the matmul-only rate.
void Profile(Report& r, const model::Model& m, ThreadPool& pool, int64_t T, const std::string& sec) {
  const std::vector<int32_t> ids = TokenIds(T, m.config().vocab_size, 3);
  model::ForwardProfile p;
  TimePrefill(m, pool, ids, &p);
  const double total = p.Total();
  const std::string k = "profile.t" + std::to_string(T) + ".";
  r.Add(sec, k + "matmul_share", p.matmul / total, "");
  r.Add(sec, k + "delta_rule_share", p.delta_rule / total, "");
  r.Add(sec, k + "attention_share", p.attention / total, "");
  r.Add(sec, k + "mixer_prep_share", p.mixer_prep / total, "");
  r.Add(sec, k + "other_share", p.other / total, "");
  r.Add(sec, k + "logits_share", p.logits / total, "");
  r.Add(sec, k + "matmul_gflops", MatmulFlops(m.config(), T) / p.matmul / 1e9, "GFLOP/s");
  r.Add(sec, k + "delta_rule_gflops", DeltaRuleFlops(m.config(), T) / p.delta_rule / 1e9, "GFLOP/s");
  r.Add(sec, k + "attention_gflops", AttentionFlops(m.config(), T, 0) / p.attention / 1e9, "GFLOP/s");
}

// The guard's short-input case at the model level: fork the state cached after a fixed prompt
// prefix, then one forward over the request's tokens (user text + the prompt suffix), reading
// two logit rows. The classify latency floor; the guard section adds tokenisation and scoring.
void PrefixCached(BenchEnv& env, Report& r, const model::Model& m, const std::string& sec) {
  const int64_t prefix = env.options().quick ? 64 : 500, V = m.config().vocab_size;
  model::InferenceState cached = m.NewState(), fork = m.NewState();
  const std::vector<int32_t> p = TokenIds(prefix, V, 30);
  model::SequenceInput in{&cached, p};
  std::span<model::SequenceInput> b(&in, 1);
  HG_CHECK(m.Forward(env.pool(), b).ok());
  for (int64_t T : {int64_t{60}, int64_t{300}}) {
    const std::vector<int32_t> ids = TokenIds(T, V, 31);
    std::vector<float> logits;
    auto run = [&] {
      fork.CopyFrom(cached);
      model::SequenceInput req{&fork, ids, true, {static_cast<int32_t>(T) - 1}, {0, 1}, &logits};
      std::span<model::SequenceInput> rb(&req, 1);
      HG_CHECK(m.Forward(env.pool(), rb).ok());
    };
    run();
    const double s = MedianSeconds(env.options().repeats + 2, run);
    r.Add(sec, "prefix_cached.p" + std::to_string(prefix) + "_t" + std::to_string(T) + ".ms", s * 1e3, "ms");
  }
}

void Decode(BenchEnv& env, Report& r, const model::Model& m, const std::string& sec) {
  const int64_t prefix = env.options().quick ? 64 : 600, steps = env.options().quick ? 4 : 16;
  const double s = TimeDecode(m, env.pool(), prefix, steps);
  r.Add(sec, "decode.after" + std::to_string(prefix) + ".tokens_per_s", double(steps) / s, "tok/s");
}

Status ModeSection(BenchEnv& env, Report& r, WeightMode mode, const std::string& sec) {
  HG_ASSIGN_OR_RETURN(const model::Model* m, env.GetModel(mode, r));
  PrefillSweep(env, r, *m, sec);
  // The short guard request's size (~60 new tokens) and the T = 600 (quick: 256 only).
  if (!env.options().quick) Profile(r, *m, env.pool(), 64, sec);
  Profile(r, *m, env.pool(), env.options().quick ? 256 : 600, sec);
  CpuPrefill(env, r, *m, sec);
  PrefixCached(env, r, *m, sec);
  Decode(env, r, *m, sec);
  return OkStatus();
}

}  // namespace

Status ExactSection(BenchEnv& env, Report& r) { return ModeSection(env, r, WeightMode::kExact, "exact"); }

Status Int8Section(BenchEnv& env, Report& r) {
  if (!env.options().int8) {
    r.Note("int8", "skipped (--int8=false)");
    return OkStatus();
  }
  return ModeSection(env, r, WeightMode::kInt8, "int8");
}

Status Bf16Section(BenchEnv& env, Report& r) {
  if (!env.options().bf16) {
    r.Note("bf16", "skipped (--weights)");
    return OkStatus();
  }
  if (!kernels::Bf16ComputeSupported()) {
    r.Note("bf16", "skipped: this CPU (or HALOGUARD_ISA) has no AVX512_BF16; --weights bf16 computes exactly here");
    return OkStatus();
  }
  return ModeSection(env, r, WeightMode::kBf16, "bf16");
}

// Ragged batch (one forward over several sequences) against the same sequences one by one, and
// the cost of forking a cached prefix state.
Status BatchingSection(BenchEnv& env, Report& r) {
  HG_ASSIGN_OR_RETURN(const model::Model* m, env.GetModel(WeightMode::kExact, r));
  const int64_t V = m->config().vocab_size;
  const std::vector<int64_t> lens = env.options().quick ? std::vector<int64_t>{8, 40, 20}
                                                        : std::vector<int64_t>{40, 300, 60, 150};
  std::vector<std::vector<int32_t>> ids;
  int64_t total = 0;
  for (size_t i = 0; i < lens.size(); ++i) {
    ids.push_back(TokenIds(lens[i], V, 10 + static_cast<uint32_t>(i)));
    total += lens[i];
  }
  auto run_batch = [&] {
    std::vector<model::InferenceState> st(ids.size(), m->NewState());
    std::vector<model::SequenceInput> batch;
    for (size_t i = 0; i < ids.size(); ++i) batch.push_back({&st[i], ids[i]});
    HG_CHECK(m->Forward(env.pool(), batch).ok());
  };
  auto run_each = [&] {
    for (const auto& one : ids) TimePrefill(*m, env.pool(), one);
  };
  run_batch();
  const double batched = MedianSeconds(env.options().repeats, run_batch);
  const double each = MedianSeconds(env.options().repeats, run_each);
  r.Add("batching", "ragged_batch.sequences", double(lens.size()), "");
  r.Add("batching", "ragged_batch.tokens_per_s", double(total) / batched, "tok/s");
  r.Add("batching", "one_by_one.tokens_per_s", double(total) / each, "tok/s");
  // Forking the state after a 600-token prefix (the guard's prefix cache does this per request).
  model::InferenceState prefix = m->NewState();
  const std::vector<int32_t> p = TokenIds(env.options().quick ? 64 : 600, V, 20);
  model::SequenceInput in{&prefix, p};
  std::span<model::SequenceInput> b(&in, 1);
  HG_CHECK(m->Forward(env.pool(), b).ok());
  model::InferenceState fork = m->NewState();
  const double fork_s = MedianSeconds(5, [&] { fork.CopyFrom(prefix); });
  r.Add("batching", "fork_prefix_state.us", fork_s * 1e6, "us");
  r.Add("batching", "fork_prefix_state.mib", double(prefix.BytesUsed()) / (1 << 20), "MiB");
  return OkStatus();
}

}  // namespace haloguard::bench
