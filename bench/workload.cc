// Workloads and FLOP accounting for the model-level bench sections.
#include "bench/workload.h"

#include <memory>
#include <random>

#include "core/clock.h"

namespace haloguard::bench {

std::vector<int32_t> TokenIds(int64_t n, int64_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> d(0, static_cast<int32_t>(vocab - 1));
  std::vector<int32_t> ids(n);
  for (int32_t& t : ids) t = d(rng);
  return ids;
}

double MatmulFlops(const model::TextConfig& c, int64_t T) {
  const double D = double(c.hidden_size), F = double(c.intermediate_size);
  const double linear = D * (c.linear_conv_dim() + c.linear_value_dim() + 2 * c.linear_num_value_heads) +
                        double(c.linear_value_dim()) * D;
  const double q = double(c.num_attention_heads * c.head_dim), kv = double(c.num_key_value_heads * c.head_dim);
  const double full = D * (2 * q + 2 * kv) + q * D;
  const double params = 3 * D * F * c.num_hidden_layers + linear * c.num_linear_attention_layers() +
                        full * c.num_full_attention_layers();
  return 2 * params * double(T);
}

double AttentionFlops(const model::TextConfig& c, int64_t T, int64_t P) {
  // The query at position p sees p + 1 keys: q.k and p.v, 2 FLOPs per element each.
  const double keys = double(T) * double(P) + double(T) * double(T + 1) / 2;
  return 4.0 * c.head_dim * c.num_attention_heads * keys * c.num_full_attention_layers();
}

double DeltaRuleFlops(const model::TextConfig& c, int64_t T) {
  // Per token and value head over the [Dk, Dv] state: decay (1), S^T k (2), rank-1 update (2),
  // S^T q (2).
  return 7.0 * c.linear_key_head_dim * c.linear_value_head_dim * c.linear_num_value_heads *
         double(T) * c.num_linear_attention_layers();
}

double ForwardFlops(const model::TextConfig& c, int64_t T, int64_t P) {
  return MatmulFlops(c, T) + AttentionFlops(c, T, P) + DeltaRuleFlops(c, T);
}

double TimePrefill(const model::Model& m, ThreadPool& pool, const std::vector<int32_t>& ids,
                   model::ForwardProfile* profile) {
  // One state per thread, reset (not reallocated) per call: the timing is the forward alone.
  thread_local std::unique_ptr<model::InferenceState> state;
  if (!state || state->num_layers() != m.config().num_hidden_layers) state = std::make_unique<model::InferenceState>(m.NewState());
  state->Reset();
  model::InferenceState& st = *state;
  std::vector<float> logits;
  model::SequenceInput in{&st, ids};
  in.logit_positions = {static_cast<int32_t>(ids.size()) - 1};
  in.logit_rows = {0, 1};
  in.logits = &logits;
  model::ForwardOptions opt;
  opt.profile = profile;
  std::span<model::SequenceInput> batch(&in, 1);
  const Clock::time_point t0 = Clock::now();
  const Status s = m.Forward(pool, batch, opt);
  HG_CHECK(s.ok()) << s.ToString();
  return SecondsSince(t0);
}

double TimeDecode(const model::Model& m, ThreadPool& pool, int64_t prefix, int64_t steps) {
  const int64_t V = m.config().vocab_size;
  model::InferenceState st = m.NewState();
  const std::vector<int32_t> ids = TokenIds(prefix + steps, V, 7);
  model::SequenceInput in{&st, std::span<const int32_t>(ids.data(), prefix)};
  std::span<model::SequenceInput> batch(&in, 1);
  HG_CHECK(m.Forward(pool, batch).ok());
  std::vector<float> logits;
  const Clock::time_point t0 = Clock::now();
  for (int64_t i = 0; i < steps; ++i) {
    model::SequenceInput step{&st, std::span<const int32_t>(ids.data() + prefix + i, 1), true, {0}, {0, 1}, &logits};
    std::span<model::SequenceInput> b(&step, 1);
    HG_CHECK(m.Forward(pool, b).ok());
  }
  return SecondsSince(t0);
}

}  // namespace haloguard::bench
