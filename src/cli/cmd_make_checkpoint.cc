// `haloguard make-checkpoint`: writes a random-weight HF-format Qwen3.5 checkpoint for any config.
#include <cstdio>

#include "cli/command.h"
#include "cli/flags.h"
#include "core/mapped_file.h"
#include "model/random_checkpoint.h"

namespace haloguard::cli {
namespace {

int RunMakeCheckpoint(int argc, char** argv) {
  std::string config, out, dtype = "bf16", vector_dtype;
  int64_t seed = 0;
  bool lm_head = false;
  FlagSet flags("make-checkpoint", "--config CONFIG.json --out DIR [--seed N] [--dtype bf16|f32|f16]");
  flags.String("config", &config, "config.json to build (nested text_config or flat qwen3_5_text)");
  flags.String("out", &out, "output directory (created)");
  flags.Int("seed", &seed, "random seed");
  flags.String("dtype", &dtype, "dtype of every tensor: bf16, f32 or f16");
  flags.String("vector-dtype", &vector_dtype, "dtype of 1-D tensors (norms, A_log, dt_bias) if different");
  flags.Bool("lm-head", &lm_head, "write an explicit lm_head.weight even when embeddings are tied");
  int rc = 0;
  if (!ParseOrExit(flags, argc, argv, &rc)) return rc;
  if (config.empty() || out.empty()) {
    std::fprintf(stderr, "haloguard make-checkpoint: --config and --out are required\n");
    return 2;
  }
  auto parse_dtype = [](const std::string& s) {
    return s == "bf16" ? DType::kBF16 : s == "f32" ? DType::kF32 : s == "f16" ? DType::kF16 : DType::kUnknown;
  };
  model::RandomCheckpointOptions opt;
  opt.seed = static_cast<uint64_t>(seed);
  opt.dtype = parse_dtype(dtype);
  opt.include_lm_head = lm_head;
  if (!vector_dtype.empty()) opt.vector_dtype = parse_dtype(vector_dtype);
  if (opt.dtype == DType::kUnknown || (!vector_dtype.empty() && opt.vector_dtype == DType::kUnknown)) {
    std::fprintf(stderr, "haloguard make-checkpoint: dtype must be bf16, f32 or f16\n");
    return 2;
  }
  auto text = ReadFileToString(config, 16u << 20);
  Status s = text.ok() ? model::WriteRandomCheckpoint(*text, out, opt) : text.status();
  if (!s.ok()) {
    std::fprintf(stderr, "haloguard make-checkpoint: %s\n", s.ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "wrote %s/model.safetensors and config.json\n", out.c_str());
  return 0;
}

}  // namespace
HG_REGISTER_COMMAND("make-checkpoint", "write a random-weight HF checkpoint for a config",
                    RunMakeCheckpoint);
}  // namespace haloguard::cli
