// InferenceState: everything a sequence carries between forward calls — the KV cache of the
// full-attention layers and the conv + recurrent state of the Gated DeltaNet layers. States are
// plain values: copying one (CopyFrom) forks a sequence, e.g. from the cached guard prefix.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace haloguard::model {

class InferenceState {
 public:
  // Per-layer state for `c`, at sequence start (zero conv/recurrent state, empty KV cache).
  explicit InferenceState(const TextConfig& c);

  // Tokens processed so far = the position of the next token.
  int64_t num_tokens() const { return num_tokens_; }
  // Back to sequence start (keeps allocations).
  void Reset();
  // Makes this state equal to `other` (same config required); reuses allocations.
  void CopyFrom(const InferenceState& other);
  // Bytes held (KV as used + fixed GDN state), for memory accounting.
  size_t BytesUsed() const;
  // Bytes allocated (as BytesUsed, but the KV cache's capacity rather than its use).
  size_t CapacityBytes() const;
  // Fixed bytes of the GDN state plus KV bytes per token, for a config (the state budget).
  static size_t FixedBytes(const TextConfig& c);
  static size_t KvBytesPerToken(const TextConfig& c);

  // --- Accessors for the forward pass (layer index L of the right type). ---
  float* conv_state(int64_t L) { return layers_[L].conv.data(); }              // [K-1, C]
  const float* conv_state(int64_t L) const { return layers_[L].conv.data(); }
  float* recurrent_state(int64_t L) { return layers_[L].recurrent.data(); }    // [Hv, Dk, Dv]
  const float* recurrent_state(int64_t L) const { return layers_[L].recurrent.data(); }
  const float* k_cache(int64_t L) const { return layers_[L].k.data(); }        // [P, Nkv, Dh]
  const float* v_cache(int64_t L) const { return layers_[L].v.data(); }
  // Makes room for `extra` more tokens in layer L's KV cache and returns pointers to the slot of
  // token num_tokens() (where the new keys/values go).
  float* k_append_slot(int64_t L, int64_t extra);
  float* v_append_slot(int64_t L, int64_t extra);
  void Advance(int64_t n) { num_tokens_ += n; }
  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }

 private:
  struct Layer {
    std::vector<float> conv, recurrent;  // linear-attention layers
    std::vector<float> k, v;             // full-attention layers: [used, Nkv, Dh]
  };
  float* AppendSlot(std::vector<float>& buf, int64_t extra);

  int64_t kv_row_ = 0;  // Nkv * Dh
  int64_t num_tokens_ = 0;
  std::vector<Layer> layers_;
};

}  // namespace haloguard::model
