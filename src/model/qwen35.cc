// Model loading and the batched forward pass (mirrors transformers Qwen3_5TextModel.forward and
// Qwen3_5DecoderLayer.forward; reference spec §5).
#include "model/qwen35.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "core/log.h"
#include "model/layers.h"

namespace haloguard::model {
namespace {

using internal::BlockContext;
using internal::SeqSlice;
using internal::StageTimer;

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

// LM head for the requested positions of each sequence; `xn` holds final-normed rows [N, D].
void ComputeLogits(ThreadPool& pool, const TextConfig& c, const ModelWeights& w,
                   std::span<SequenceInput> batch, const std::vector<SeqSlice>& seqs,
                   const float* xn, float* rows) {
  const int64_t D = c.hidden_size;
  for (size_t i = 0; i < batch.size(); ++i) {
    SequenceInput& s = batch[i];
    if (s.logit_positions.empty()) continue;
    const int64_t n = static_cast<int64_t>(s.logit_positions.size());
    for (int64_t j = 0; j < n; ++j) {
      const float* src = xn + (seqs[i].row0 + s.logit_positions[j]) * D;
      std::copy(src, src + D, rows + j * D);
    }
    if (s.logit_rows.empty()) {
      s.logits->resize(n * c.vocab_size);
      kernels::MatMul(pool, rows, n, w.lm_head, s.logits->data());
    } else {
      s.logits->resize(n * s.logit_rows.size());
      kernels::MatMulRows(pool, rows, n, w.lm_head, s.logit_rows, s.logits->data());
    }
  }
}

// The forward workspace: [h | x | y | RoPE tables | block scratch | logit rows]. Up to kKeptWorkspaceBytes
// (~800 tokens of the 0.8B shape) it is kept per thread and reused, so steady-state requests
// allocate nothing; a larger batch gets a buffer of its own (`owned`), freed after the call, so
// one huge batch does not pin its workspace for the thread's lifetime.
constexpr size_t kKeptWorkspaceBytes = size_t{64} << 20;

float* Workspace(size_t floats, std::vector<float>& owned) {
  if (floats * sizeof(float) > kKeptWorkspaceBytes) {
    owned.resize(floats);
    return owned.data();
  }
  thread_local std::vector<float> ws;
  if (ws.size() < floats) {
    ws.clear();
    ws.shrink_to_fit();
    ws.resize(floats);
  }
  return ws.data();
}

int64_t WorkspaceFloats(const TextConfig& c, int64_t N, int64_t logit_rows) {
  const int64_t block = std::max({internal::LinearAttentionScratchFloats(c, N),
                                  internal::FullAttentionScratchFloats(c, N),
                                  internal::MlpScratchFloats(c, N)});
  return 3 * N * c.hidden_size + N * c.rotary_dim() + block + logit_rows * c.hidden_size;
}

// h += y, x = RmsNorm(h) * scale, rows split across the pool.
void AddNorm(ThreadPool& pool, float* h, const float* y, int64_t N, int64_t D, const float* scale,
             float eps, float* x) {
  internal::ParallelRows(pool, N, 16, [&](int64_t r0, int64_t r1) {
    kernels::AddRmsNorm(h + r0 * D, y + r0 * D, r1 - r0, D, scale, eps, x + r0 * D);
  });
}

// Calls fn(matrix) for every projection of the decoder layers (not embedding / LM head).
template <class Fn>
void ForEachLayerMatrix(const TextConfig& c, ModelWeights& w, Fn fn) {
  for (int64_t L = 0; L < c.num_hidden_layers; ++L) {
    LayerWeights& lw = w.layers[L];
    for (WeightMatrix* m : {&lw.gate_proj, &lw.up_proj, &lw.down_proj}) fn(*m);
    if (c.is_full_attention(L)) {
      FullAttentionWeights& f = lw.full;
      for (WeightMatrix* m : {&f.q_proj, &f.k_proj, &f.v_proj, &f.o_proj}) fn(*m);
    } else {
      LinearAttentionWeights& la = lw.linear;
      for (WeightMatrix* m : {&la.in_proj_qkv, &la.in_proj_z, &la.in_proj_b, &la.in_proj_a, &la.out_proj}) fn(*m);
    }
  }
}

// Drops the whole pages of a mapped weight from this process's memory (file-backed, read-only:
// they come back from the file if ever touched again).
void ReleasePages(const WeightMatrix& m) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t b = reinterpret_cast<uintptr_t>(m.data);
  const uintptr_t e = b + static_cast<uintptr_t>(m.rows * m.cols) * DTypeSize(m.dtype);
  const uintptr_t pb = (b + page - 1) / page * page, pe = e / page * page;
  if (pe > pb) madvise(reinterpret_cast<void*>(pb), pe - pb, MADV_DONTNEED);
}

}  // namespace

StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& dir) { return Load(dir, LoadOptions{}); }

StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& dir, const LoadOptions& options) {
  std::unique_ptr<Model> m(new Model());
  HG_ASSIGN_OR_RETURN(m->config_, LoadConfig(dir));
  HG_ASSIGN_OR_RETURN(m->store_, TensorStore::Open(dir));
  HG_ASSIGN_OR_RETURN(m->weights_, LoadWeights(*m->store_, m->config_));
  // bf16 compute is decided on the base; merged matrices are fp32 and computed exactly.
  if (options.weights == WeightMode::kBf16) m->EnableBf16Compute();
  if (!options.adapter_dir.empty()) {
    HG_RETURN_IF_ERROR(m->ApplyAdapter(options));
  }
  if (options.weights == WeightMode::kInt8) HG_RETURN_IF_ERROR(m->QuantizeMatrices(options.quantize_threads));
  return m;
}

// kAuto's choice for `adapter` on a checkpoint of `checkpoint_bytes` (AdapterMode); the reason
// goes to the log.
bool AutoChoosesSidePath(const LoraAdapter& adapter, WeightMode weights, size_t checkpoint_bytes) {
  if (weights == WeightMode::kInt8) return false;  // merged matrices replace the int8 copies
  size_t merged_bytes = 0;
  for (const LoraModule& mod : adapter.modules)
    merged_bytes += size_t(mod.base->rows) * size_t(mod.base->cols) * sizeof(float);
  const bool side = double(merged_bytes) > kAutoMergeFraction * double(checkpoint_bytes);
  HG_LOG(INFO) << "adapter: --adapter-mode auto: merged copies would take " << (merged_bytes >> 20)
               << " MiB fp32, " << (side ? "more" : "at most") << " than " << kAutoMergeFraction
               << " x the checkpoint's " << (checkpoint_bytes >> 20) << " MiB -> "
               << (side ? "side path" : "merged");
  return side;
}

Status Model::ApplyAdapter(const LoadOptions& options) {
  HG_ASSIGN_OR_RETURN(LoraAdapter ad, LoadLoraAdapter(options.adapter_dir, config_, &weights_));
  adapter_ = std::make_unique<LoraAdapter>(std::move(ad));
  const bool side_path =
      options.adapter_mode == AdapterMode::kSidePath ||
      (options.adapter_mode == AdapterMode::kAuto &&
       AutoChoosesSidePath(*adapter_, options.weights, store_->total_file_bytes()));
  if (side_path) {
    side_path_ = std::make_unique<LoraSidePath>(*adapter_);
    adapter_bytes_ = side_path_->bytes();
    HG_LOG(INFO) << "adapter: side path on " << adapter_->modules.size() << " matrices (r = "
                 << adapter_->config.r << ", " << adapter_bytes_ / 1024 << " KiB fp32 factors)";
    return OkStatus();
  }
  ThreadPool pool(options.quantize_threads);
  const bool int8 = options.weights == WeightMode::kInt8;
  for (const LoraModule& mod : adapter_->modules) {
    const WeightMatrix base = *mod.base;
    std::vector<float> merged = MergeLoraModule(pool, *adapter_, mod);
    *mod.base = F32Matrix(merged, base.rows, base.cols);
    ReleasePages(base);  // the mapped base matrix is not read again
    if (int8) {  // quantised at once, so the load never holds all the fp32 copies
      QuantizeOne(pool, *mod.base);
      mod.base->data = nullptr;  // only the int8 copy remains
      continue;
    }
    adapter_bytes_ += merged.size() * sizeof(float);
    merged_.push_back(std::move(merged));  // the buffer (and so the view) stays where it is
  }
  HG_LOG(INFO) << "adapter: merged " << adapter_->modules.size() << " matrices (r = " << adapter_->config.r
               << ", scale " << adapter_->config.scale() << (int8 ? ", quantised to int8)" : ", ")
               << (int8 ? "" : std::to_string(adapter_bytes_ / 1024) + " KiB fp32)");
  return OkStatus();
}

void Model::QuantizeOne(ThreadPool& pool, WeightMatrix& m) {
  int8_.push_back(std::make_unique<kernels::QuantizedMatrix>(kernels::QuantizeWeights(pool, m)));
  m.int8 = int8_.back().get();
  int8_bytes_ += int8_.back()->Bytes();
}

Status Model::QuantizeMatrices(int threads) {
  ThreadPool pool(threads);
  ForEachLayerMatrix(config_, weights_, [&](WeightMatrix& m) {
    if (m.int8 != nullptr) return;  // a merged adapter matrix, quantised as it was made
    QuantizeOne(pool, m);
    ReleasePages(m);
  });
  weight_mode_ = WeightMode::kInt8;
  return OkStatus();
}

void Model::EnableBf16Compute() {
  if (!kernels::Bf16ComputeSupported()) {
    HG_LOG(WARNING) << "--weights bf16: this CPU (or HALOGUARD_ISA) has no AVX512_BF16; computing exactly";
    return;
  }
  bool all_bf16 = true;
  ForEachLayerMatrix(config_, weights_, [&](WeightMatrix& m) { all_bf16 = all_bf16 && m.dtype == DType::kBF16; });
  if (!all_bf16) {
    HG_LOG(WARNING) << "--weights bf16: the checkpoint's matrices are not all BF16; computing exactly";
    return;
  }
  ForEachLayerMatrix(config_, weights_, [](WeightMatrix& m) { m.bf16_compute = true; });
  weight_mode_ = WeightMode::kBf16;
}

size_t Model::WorkspaceBytes(int64_t rows) const {
  return static_cast<size_t>(WorkspaceFloats(config_, rows, rows)) * sizeof(float);
}

Status Model::ForwardAllPositions(ThreadPool& pool, std::span<const int32_t> ids,
                                  std::vector<float>* logits, const ForwardOptions& options) const {
  InferenceState st = NewState();
  SequenceInput in{&st, ids};
  for (size_t p = 0; p < ids.size(); ++p) in.logit_positions.push_back(static_cast<int32_t>(p));
  in.logits = logits;
  return Forward(pool, std::span<SequenceInput>(&in, 1), options);
}

Status Model::Forward(ThreadPool& pool, std::span<SequenceInput> batch,
                      const ForwardOptions& options) const {
  const TextConfig& c = config_;
  HG_RETURN_IF_ERROR(ValidateBatch(c, batch));
  std::vector<SeqSlice> seqs;
  std::vector<int32_t> ids;
  int64_t logit_rows = 0;
  for (SequenceInput& s : batch) {
    seqs.push_back({s.state, static_cast<int64_t>(ids.size()), static_cast<int64_t>(s.tokens.size()),
                    s.state->num_tokens(), s.commit});
    ids.insert(ids.end(), s.tokens.begin(), s.tokens.end());
    logit_rows = std::max(logit_rows, static_cast<int64_t>(s.logit_positions.size()));
  }
  const int64_t N = static_cast<int64_t>(ids.size()), D = c.hidden_size;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const bool tap = options.tap && batch.size() == 1;
  ForwardProfile* prof = options.profile;
  std::vector<float> owned;
  float* h = Workspace(static_cast<size_t>(WorkspaceFloats(c, N, logit_rows)), owned);  // [N, D] residual
  float* x = h + N * D;      // [N, D] normed block input
  float* y = x + N * D;      // [N, D] block output
  float* rope = y + N * D;    // [N, rotary_dim] RoPE tables (BlockContext::rope)
  float* scratch = rope + N * c.rotary_dim();
  const BlockContext bc{pool, c, seqs, N, prof, side_path_.get(), rope};
  {
    StageTimer t(prof, &ForwardProfile::other);
    internal::ComputeRopeTables(c, seqs, rope);
    kernels::Embed(weights_.embed_tokens, ids, h);
    if (tap) options.tap("embed", h, N, D);
    kernels::RmsNorm(h, N, D, weights_.layers[0].input_layernorm.data(), eps, x);
  }
  for (int64_t L = 0; L < c.num_hidden_layers; ++L) {
    const LayerWeights& lw = weights_.layers[L];
    if (c.is_full_attention(L)) {
      internal::FullAttentionBlock(bc, lw.full, L, x, scratch, y);
    } else {
      internal::LinearAttentionBlock(bc, lw.linear, L, x, options.delta_rule, scratch, y);
    }
    {
      StageTimer t(prof, &ForwardProfile::other);
      AddNorm(pool, h, y, N, D, lw.post_attention_layernorm.data(), eps, x);
    }
    internal::MlpBlock(bc, lw, x, scratch, y);
    // h += mlp, and normalise for the next layer (or the final norm after the last one).
    const bool last = L + 1 == c.num_hidden_layers;
    StageTimer t(prof, &ForwardProfile::other);
    AddNorm(pool, h, y, N, D, last ? weights_.norm.data() : weights_.layers[L + 1].input_layernorm.data(), eps, x);
    if (tap) options.tap("layer." + std::to_string(L), h, N, D);
  }
  if (tap) options.tap("final_norm", x, N, D);
  {
    StageTimer t(prof, &ForwardProfile::logits);
    ComputeLogits(pool, c, weights_, batch, seqs, x, scratch);
  }
  if (prof) {
    prof->calls += 1;
    prof->rows += N;
  }
  for (SequenceInput& s : batch)
    if (s.commit) s.state->Advance(static_cast<int64_t>(s.tokens.size()));
  return OkStatus();
}

}  // namespace haloguard::model
