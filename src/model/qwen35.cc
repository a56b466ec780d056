// Model loading and the batched forward pass (mirrors transformers Qwen3_5TextModel.forward and
// Qwen3_5DecoderLayer.forward; reference spec §5).
#include "model/qwen35.h"

#include <set>

#include "model/layers.h"

namespace haloguard::model {
namespace {

using internal::SeqSlice;

Status ValidateBatch(const TextConfig& c, std::span<SequenceInput> batch) {
  std::set<const InferenceState*> committed, read;
  for (size_t i = 0; i < batch.size(); ++i) {
    const SequenceInput& s = batch[i];
    const std::string where = "Forward: sequence " + std::to_string(i);
    if (s.state == nullptr) return InvalidArgumentError(where + ": no state");
    if (s.state->num_layers() != c.num_hidden_layers) {
      return InvalidArgumentError(where + ": state was made for a different config");
    }
    if (s.tokens.empty()) return InvalidArgumentError(where + ": expected >= 1 token, got 0");
    for (int32_t t : s.tokens) {
      if (t < 0 || t >= c.vocab_size) {
        return InvalidArgumentError(where + ": token id " + std::to_string(t) +
                                    " out of range; expected [0, " + std::to_string(c.vocab_size) + ")");
      }
    }
    for (int32_t p : s.logit_positions) {
      if (p < 0 || p >= static_cast<int32_t>(s.tokens.size())) {
        return InvalidArgumentError(where + ": logit position " + std::to_string(p) +
                                    " outside its " + std::to_string(s.tokens.size()) + " tokens");
      }
    }
    for (int32_t r : s.logit_rows) {
      if (r < 0 || r >= c.vocab_size) {
        return InvalidArgumentError(where + ": logit row " + std::to_string(r) + " out of range");
      }
    }
    if (!s.logit_positions.empty() && s.logits == nullptr) {
      return InvalidArgumentError(where + ": logit positions given but no output");
    }
    const bool clash = s.commit ? (committed.count(s.state) || read.count(s.state))
                                : committed.count(s.state) > 0;
    if (clash) return InvalidArgumentError(where + ": a committed state may appear only once");
    (s.commit ? committed : read).insert(s.state);
  }
  return OkStatus();
}

// Final norm + LM head for the requested positions of each sequence.
void ComputeLogits(ThreadPool& pool, const TextConfig& c, const ModelWeights& w,
                   std::span<SequenceInput> batch, const std::vector<SeqSlice>& seqs,
                   const float* h) {
  const int64_t D = c.hidden_size;
  std::vector<float> rows;
  for (size_t i = 0; i < batch.size(); ++i) {
    SequenceInput& s = batch[i];
    if (s.logit_positions.empty()) continue;
    const int64_t n = static_cast<int64_t>(s.logit_positions.size());
    rows.resize(n * D);
    for (int64_t j = 0; j < n; ++j) {
      const float* src = h + (seqs[i].row0 + s.logit_positions[j]) * D;
      std::copy(src, src + D, rows.begin() + j * D);
    }
    kernels::RmsNorm(rows.data(), n, D, w.norm.data(), static_cast<float>(c.rms_norm_eps), rows.data());
    if (s.logit_rows.empty()) {
      s.logits->resize(n * c.vocab_size);
      kernels::MatMul(pool, rows.data(), n, w.lm_head, s.logits->data());
    } else {
      s.logits->resize(n * s.logit_rows.size());
      kernels::MatMulRows(pool, rows.data(), n, w.lm_head, s.logit_rows, s.logits->data());
    }
  }
}

}  // namespace

StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& dir) {
  std::unique_ptr<Model> m(new Model());
  HG_ASSIGN_OR_RETURN(m->config_, LoadConfig(dir));
  HG_ASSIGN_OR_RETURN(m->store_, TensorStore::Open(dir));
  HG_ASSIGN_OR_RETURN(m->weights_, LoadWeights(*m->store_, m->config_));
  return m;
}

Status Model::Forward(ThreadPool& pool, std::span<SequenceInput> batch,
                      const ForwardOptions& options) const {
  const TextConfig& c = config_;
  HG_RETURN_IF_ERROR(ValidateBatch(c, batch));
  std::vector<SeqSlice> seqs;
  std::vector<int32_t> ids;
  for (SequenceInput& s : batch) {
    seqs.push_back({s.state, static_cast<int64_t>(ids.size()), static_cast<int64_t>(s.tokens.size()),
                    s.state->num_tokens(), s.commit});
    ids.insert(ids.end(), s.tokens.begin(), s.tokens.end());
  }
  const int64_t N = static_cast<int64_t>(ids.size()), D = c.hidden_size;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const bool tap = options.tap && batch.size() == 1;

  std::vector<float> h(N * D), x(N * D), y(N * D);
  kernels::Embed(weights_.embed_tokens, ids, h.data());
  if (tap) options.tap("embed", h.data(), N, D);
  for (int64_t L = 0; L < c.num_hidden_layers; ++L) {
    const LayerWeights& lw = weights_.layers[L];
    kernels::RmsNorm(h.data(), N, D, lw.input_layernorm.data(), eps, x.data());
    if (c.is_full_attention(L)) {
      internal::FullAttentionBlock(pool, c, lw.full, L, seqs, x.data(), N, y.data());
    } else {
      internal::LinearAttentionBlock(pool, c, lw.linear, L, seqs, x.data(), N, options.delta_rule,
                                     y.data());
    }
    for (int64_t i = 0; i < N * D; ++i) h[i] += y[i];
    kernels::RmsNorm(h.data(), N, D, lw.post_attention_layernorm.data(), eps, x.data());
    internal::MlpBlock(pool, c, lw, x.data(), N, y.data());
    for (int64_t i = 0; i < N * D; ++i) h[i] += y[i];
    if (tap) options.tap("layer." + std::to_string(L), h.data(), N, D);
  }
  if (tap) {
    kernels::RmsNorm(h.data(), N, D, weights_.norm.data(), eps, x.data());
    options.tap("final_norm", x.data(), N, D);
  }
  ComputeLogits(pool, c, weights_, batch, seqs, h.data());
  for (SequenceInput& s : batch)
    if (s.commit) s.state->Advance(static_cast<int64_t>(s.tokens.size()));
  return OkStatus();
}

}  // namespace haloguard::model
