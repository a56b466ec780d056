// Random checkpoint generation driven by the weight table (one tensor in memory at a time).
#include "model/random_checkpoint.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/bf16.h"
#include "core/mapped_file.h"
#include "model/config.h"
#include "model/safetensors_writer.h"
#include "model/weights.h"

namespace haloguard::model {
namespace {

// SplitMix64 + Box-Muller: reproducible across standard libraries (std::normal_distribution
// is implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ^ 0x9E3779B97F4A7C15ull) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
  double Normal() {
    if (has_spare_) { has_spare_ = false; return spare_; }
    double u = 0;
    while (u <= 1e-300) u = Uniform();
    const double v = Uniform(), r = std::sqrt(-2.0 * std::log(u)), th = 6.283185307179586 * v;
    spare_ = r * std::sin(th);
    has_spare_ = true;
    return r * std::cos(th);
  }

 private:
  uint64_t s_;
  bool has_spare_ = false;
  double spare_ = 0;
};

double Sample(const WeightSpec& spec, const TextConfig& c, Rng& rng) {
  switch (spec.role) {
    case WeightRole::kZeroCentredNorm: return 0.1 * rng.Normal();
    case WeightRole::kGatedNorm: return 1.0 + 0.1 * rng.Normal();
    case WeightRole::kALog: return std::log(1.0 + 15.0 * rng.Uniform());
    case WeightRole::kDtBias: return 1.0 + 0.1 * rng.Normal();
    case WeightRole::kConv: return rng.Normal() / std::sqrt(double(c.linear_conv_kernel_dim));
    case WeightRole::kMatrix: break;
  }
  const bool is_embedding = spec.name == "embed_tokens.weight" || spec.name == "lm_head.weight";
  const double fan_in = is_embedding ? double(c.hidden_size) : double(spec.shape.back());
  return rng.Normal() / std::sqrt(fan_in);
}

// Encodes one tensor's values into `bytes` in `dtype`.
void Encode(const std::vector<double>& v, DType dtype, std::vector<uint8_t>& bytes) {
  bytes.resize(v.size() * DTypeSize(dtype));
  for (size_t i = 0; i < v.size(); ++i) {
    const float f = static_cast<float>(v[i]);
    if (dtype == DType::kF32) {
      std::memcpy(&bytes[4 * i], &f, 4);
    } else {
      const uint16_t h = dtype == DType::kBF16 ? F32ToBf16(f) : F32ToF16(f);
      std::memcpy(&bytes[2 * i], &h, 2);
    }
  }
}

Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return InternalError("cannot create directory '" + dir + "'");
  }
  return OkStatus();
}

}  // namespace

Status WriteRandomCheckpoint(const std::string& config_json_text, const std::string& out_dir,
                             const RandomCheckpointOptions& options) {
  if (!IsFloatWeightDType(options.dtype)) {
    return InvalidArgumentError("make-checkpoint: dtype must be F32, BF16 or F16");
  }
  HG_ASSIGN_OR_RETURN(TextConfig c, ParseConfig(config_json_text));
  const std::string prefix = c.model_type == "qwen3_5" ? "model.language_model." : "model.";
  std::vector<WeightSpec> table;
  for (WeightSpec& s : WeightTable(c)) {
    if (s.name == "lm_head.weight" && c.tie_word_embeddings && !options.include_lm_head) continue;
    table.push_back(std::move(s));
  }
  auto dtype_of = [&](const WeightSpec& s) {
    return (s.shape.size() == 1 && options.vector_dtype != DType::kUnknown) ? options.vector_dtype
                                                                           : options.dtype;
  };
  HG_RETURN_IF_ERROR(MakeDir(out_dir));
  SafetensorsWriter w;
  w.SetMetadata("format", "pt");
  for (const WeightSpec& s : table) w.Declare(s.top_level ? s.name : prefix + s.name, dtype_of(s), s.shape);
  HG_RETURN_IF_ERROR(w.Begin(out_dir + "/model.safetensors"));
  Rng rng(options.seed);
  std::vector<double> values;
  std::vector<uint8_t> bytes;
  for (const WeightSpec& s : table) {
    int64_t n = 1;
    for (int64_t d : s.shape) n *= d;
    constexpr int64_t kChunk = 1 << 20;  // bounded memory even for a 254M-entry embedding
    for (int64_t done = 0; done < n; done += kChunk) {
      values.resize(std::min(kChunk, n - done));
      for (double& v : values) v = Sample(s, c, rng);
      Encode(values, dtype_of(s), bytes);
      HG_RETURN_IF_ERROR(w.Write(bytes.data(), bytes.size()));
    }
  }
  HG_RETURN_IF_ERROR(w.Finish());
  return WriteFileAtomic(out_dir + "/config.json", config_json_text);
}

}  // namespace haloguard::model
