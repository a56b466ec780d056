// Bench sections "int8_accuracy" (the int8 mode's error against the exact path on the same
// prompts) and "memory" (peak RSS against the checkpoint size plus the documented state budget).
#include <algorithm>
#include <cmath>

#include "bench/workload.h"
#include "model/state.h"
#include "model/weights.h"

namespace haloguard::bench {
namespace {

using model::WeightMode;

std::vector<float> LastLogits(const model::Model& m, ThreadPool& pool, const std::vector<int32_t>& ids) {
  model::InferenceState st = m.NewState();
  std::vector<float> logits;
  model::SequenceInput in{&st, ids, true, {static_cast<int32_t>(ids.size()) - 1}, {}, &logits};
  std::span<model::SequenceInput> b(&in, 1);
  HG_CHECK(m.Forward(pool, b).ok());
  return logits;
}

// p(second) of a two-way softmax, the shape of the guard's safe/unsafe decision.
double Binary(float a, float b) { return 1.0 / (1.0 + std::exp(double(a) - double(b))); }

}  // namespace

Status Int8AccuracySection(BenchEnv& env, Report& r) {
  if (!env.options().int8) return OkStatus();
  HG_ASSIGN_OR_RETURN(const model::Model* exact, env.GetModel(WeightMode::kExact, r));
  HG_ASSIGN_OR_RETURN(const model::Model* int8, env.GetModel(WeightMode::kInt8, r));
  const int64_t V = exact->config().vocab_size;
  const int prompts = env.options().quick ? 2 : 8;
  const int64_t len = env.options().quick ? 32 : 128;
  double max_err = 0, sq_err = 0, sq_ref = 0, max_p = 0;
  int top1 = 0, verdict = 0;
  for (int i = 0; i < prompts; ++i) {
    const std::vector<int32_t> ids = TokenIds(len, V, 100 + i);
    const std::vector<float> a = LastLogits(*exact, env.pool(), ids), b = LastLogits(*int8, env.pool(), ids);
    for (int64_t v = 0; v < V; ++v) {
      const double d = double(a[v]) - b[v];
      max_err = std::max(max_err, std::fabs(d));
      sq_err += d * d;
      sq_ref += double(a[v]) * a[v];
    }
    top1 += std::max_element(a.begin(), a.end()) - a.begin() == std::max_element(b.begin(), b.end()) - b.begin();
    // Stand-in verdict rows (ids 0 and 1) until the guard section measures the real p_unsafe.
    const double pa = Binary(a[0], a[1]), pb = Binary(b[0], b[1]);
    max_p = std::max(max_p, std::fabs(pa - pb));
    verdict += (pa >= 0.5) == (pb >= 0.5);
  }
  r.Add("int8_accuracy", "prompts", prompts, "");
  r.Add("int8_accuracy", "max_abs_logit_error", max_err, "");
  r.Add("int8_accuracy", "rms_logit_error", std::sqrt(sq_err / double(prompts * V)), "");
  r.Add("int8_accuracy", "rms_logit", std::sqrt(sq_ref / double(prompts * V)), "");
  r.Add("int8_accuracy", "top1_agreement", double(top1) / prompts, "");
  r.Add("int8_accuracy", "max_binary_p_difference", max_p, "");
  r.Add("int8_accuracy", "binary_verdict_agreement", double(verdict) / prompts, "");
  r.Note("int8_accuracy", "random token ids; binary p uses vocabulary rows 0/1 as stand-ins. p_unsafe "
                          "difference and verdict agreement on the benchmark prompts belong to the guard "
                          "section (hook: sections.cc)");
  // The int8 mode on its own: drop the exact model, measure what stays resident.
  env.Unload(WeightMode::kExact);
  r.Add("int8_accuracy", "int8_only_rss_mib", double(CurrentRssBytes()) / (1 << 20), "MiB");
  return OkStatus();
}

// Peak RSS of the exact path so far against 1.25 x checkpoint + state budget, the budget being a
// 1200-token sequence's state (GDN state + KV cache) and the forward workspace for 1200 rows.
Status MemorySection(BenchEnv& env, Report& r) {
  HG_ASSIGN_OR_RETURN(const model::Model* m, env.GetModel(WeightMode::kExact, r));
  const model::TextConfig& c = m->config();
  const int64_t tokens = 1200;
  const double ckpt = double(model::ComputeWeightStats(m->store(), c).num_bytes);
  const double state = double(model::InferenceState::FixedBytes(c) + model::InferenceState::KvBytesPerToken(c) * tokens);
  const double ws = double(m->WorkspaceBytes(tokens));
  const double peak = double(PeakRssBytes());
  const double limit = 1.25 * ckpt + state + ws;
  const double mib = 1 << 20;
  r.Add("memory", "checkpoint_mib", ckpt / mib, "MiB");
  r.Add("memory", "state_budget.sequence_state_mib", state / mib, "MiB");
  r.Add("memory", "state_budget.workspace_mib", ws / mib, "MiB");
  r.Add("memory", "peak_rss_mib", peak / mib, "MiB");
  r.Add("memory", "limit_mib", limit / mib, "MiB");
  r.Add("memory", "peak_rss_within_limit", peak <= limit, "bool");
  return OkStatus();
}

}  // namespace haloguard::bench
