// InferenceState implementation.
#include "model/state.h"

#include <algorithm>

#include "core/check.h"

namespace haloguard::model {

InferenceState::InferenceState(const TextConfig& c)
    : kv_row_(c.num_key_value_heads * c.head_dim), layers_(c.num_hidden_layers) {
  for (int64_t L = 0; L < c.num_hidden_layers; ++L) {
    if (c.is_full_attention(L)) continue;
    layers_[L].conv.assign((c.linear_conv_kernel_dim - 1) * c.linear_conv_dim(), 0.0f);
    layers_[L].recurrent.assign(
        c.linear_num_value_heads * c.linear_key_head_dim * c.linear_value_head_dim, 0.0f);
  }
}

void InferenceState::Reset() {
  num_tokens_ = 0;
  for (Layer& l : layers_) {
    std::fill(l.conv.begin(), l.conv.end(), 0.0f);
    std::fill(l.recurrent.begin(), l.recurrent.end(), 0.0f);
    l.k.clear();
    l.v.clear();
  }
}

void InferenceState::CopyFrom(const InferenceState& other) {
  HG_CHECK(other.layers_.size() == layers_.size() && other.kv_row_ == kv_row_)
      << "InferenceState::CopyFrom between different configs";
  num_tokens_ = other.num_tokens_;
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i].conv = other.layers_[i].conv;
    layers_[i].recurrent = other.layers_[i].recurrent;
    layers_[i].k.assign(other.layers_[i].k.begin(), other.layers_[i].k.end());
    layers_[i].v.assign(other.layers_[i].v.begin(), other.layers_[i].v.end());
  }
}

float* InferenceState::AppendSlot(std::vector<float>& buf, int64_t extra) {
  const size_t used = static_cast<size_t>(num_tokens_ * kv_row_);
  HG_CHECK(buf.size() == used) << "KV cache out of sync with num_tokens";
  buf.resize(used + static_cast<size_t>(extra * kv_row_));
  return buf.data() + used;
}

float* InferenceState::k_append_slot(int64_t L, int64_t extra) { return AppendSlot(layers_[L].k, extra); }
float* InferenceState::v_append_slot(int64_t L, int64_t extra) { return AppendSlot(layers_[L].v, extra); }

size_t InferenceState::BytesUsed() const {
  size_t n = 0;
  for (const Layer& l : layers_) n += (l.conv.size() + l.recurrent.size() + l.k.size() + l.v.size()) * 4;
  return n;
}

size_t InferenceState::CapacityBytes() const {
  size_t n = 0;
  for (const Layer& l : layers_) n += (l.conv.capacity() + l.recurrent.capacity() + l.k.capacity() + l.v.capacity()) * 4;
  return n;
}

size_t InferenceState::FixedBytes(const TextConfig& c) {
  const size_t per_layer = ((c.linear_conv_kernel_dim - 1) * c.linear_conv_dim() +
                            c.linear_num_value_heads * c.linear_key_head_dim * c.linear_value_head_dim) * 4;
  return per_layer * static_cast<size_t>(c.num_linear_attention_layers());
}

size_t InferenceState::KvBytesPerToken(const TextConfig& c) {
  return static_cast<size_t>(2 * c.num_key_value_heads * c.head_dim * 4 * c.num_full_attention_layers());
}

}  // namespace haloguard::model
