// `haloguard make-checkpoint`: writes a random-weight HF-format Qwen3.5 checkpoint for any config,
// optionally with a tokenizer copied in (--tokenizer DIR) so the result is a complete guard model;
// `--preset tiny` writes a complete tiny guard model from data compiled into the binary.
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "cli/command.h"
#include "cli/embedded.h"
#include "cli/flags.h"
#include "core/mapped_file.h"
#include "model/config.h"
#include "model/random_checkpoint.h"
#include "tokenizer/tokenizer.h"

namespace haloguard::cli {
namespace {

namespace fs = std::filesystem;

// Files a model directory's tokenizer consists of; the first is required.
constexpr const char* kTokenizerFiles[] = {"tokenizer.json", "tokenizer_config.json",
                                           "chat_template.jinja", "generation_config.json"};

// Checks that the tokenizer in `dir` loads and that every id it can produce has an embedding row
// (a larger vocabulary would fail only later, at the guard's first lookup).
Status CheckTokenizerFits(const std::string& dir, const std::string& config_text) {
  HG_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::LoadFromDir(dir));
  HG_ASSIGN_OR_RETURN(model::TextConfig c, model::ParseConfig(config_text));
  if (tok.vocab_size() > c.vocab_size) {
    return InvalidArgumentError("make-checkpoint: --tokenizer " + dir + " has " +
                                std::to_string(tok.vocab_size()) + " ids; expected at most the config's vocab_size " +
                                std::to_string(c.vocab_size));
  }
  return OkStatus();
}

// Copies tokenizer.json (required) and the optional tokenizer files from `dir` into `out`.
Status CopyTokenizer(const std::string& dir, const std::string& out) {
  bool required = true;
  for (const char* name : kTokenizerFiles) {
    const fs::path src = fs::path(dir) / name;
    std::error_code ec;
    const bool present = fs::exists(src, ec);
    if (!present) {
      if (required) {
        return NotFoundError("make-checkpoint: --tokenizer; expected " + src.string() + ", found no such file");
      }
      continue;
    }
    fs::copy_file(src, fs::path(out) / name, fs::copy_options::overwrite_existing, ec);
    if (ec) return InternalError("make-checkpoint: copying " + src.string() + " to " + out + ": " + ec.message());
    required = false;
  }
  return OkStatus();
}

DType ParseDTypeName(const std::string& s) {
  return s == "bf16" ? DType::kBF16 : s == "f32" ? DType::kF32 : s == "f16" ? DType::kF16 : DType::kUnknown;
}

Status Make(const std::string& config, const std::string& out, const std::string& tokenizer_dir,
            const model::RandomCheckpointOptions& opt) {
  HG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(config, 16u << 20));
  if (!tokenizer_dir.empty()) HG_RETURN_IF_ERROR(CheckTokenizerFits(tokenizer_dir, text));
  HG_RETURN_IF_ERROR(model::WriteRandomCheckpoint(text, out, opt));
  if (!tokenizer_dir.empty()) HG_RETURN_IF_ERROR(CopyTokenizer(tokenizer_dir, out));
  return OkStatus();
}

// --preset tiny: the embedded tiny config with random weights and the embedded tiny tokenizer.
// Its verdicts are random; it exists to try serve/classify/eval without the real model.
Status MakeTiny(const std::string& out, const model::RandomCheckpointOptions& opt) {
  const std::string config(embedded::TinyConfigJson());
  HG_RETURN_IF_ERROR(model::WriteRandomCheckpoint(config, out, opt));
  HG_RETURN_IF_ERROR(WriteFileAtomic(out + "/tokenizer.json", embedded::TinyTokenizerJson()));
  HG_RETURN_IF_ERROR(
      WriteFileAtomic(out + "/tokenizer_config.json", embedded::TinyTokenizerConfigJson()));
  return CheckTokenizerFits(out, config);
}

int RunMakeCheckpoint(int argc, char** argv) {
  std::string config, out, dtype = "bf16", vector_dtype, tokenizer_dir, preset;
  int64_t seed = 0;
  bool lm_head = false;
  FlagSet flags("make-checkpoint",
                "(--config CONFIG.json [--tokenizer DIR] | --preset tiny) --out DIR [flags]");
  flags.RefusePositional();
  flags.String("config", &config, "config.json to build (nested text_config or flat qwen3_5_text)");
  flags.String("preset", &preset,
               "'tiny': a complete tiny guard model (config, random weights, tokenizer) to try "
               "serve/classify without the real checkpoint; its verdicts are meaningless");
  flags.String("out", &out, "output directory (created)");
  flags.Int("seed", &seed, "random seed");
  flags.String("dtype", &dtype, "dtype of every tensor: bf16, f32 or f16");
  flags.String("vector-dtype", &vector_dtype, "dtype of 1-D tensors (norms, A_log, dt_bias) if different");
  flags.Bool("lm-head", &lm_head, "write an explicit lm_head.weight even when embeddings are tied");
  flags.String("tokenizer", &tokenizer_dir,
               "copy tokenizer.json, tokenizer_config.json (and chat_template.jinja, "
               "generation_config.json if present) from this directory");
  int rc = 0;
  if (!ParseOrExit(flags, argc, argv, &rc)) return rc;
  if (out.empty() || config.empty() == preset.empty() || (!preset.empty() && preset != "tiny") ||
      (!preset.empty() && !tokenizer_dir.empty())) {
    std::fprintf(stderr,
                 "haloguard make-checkpoint: expected --out DIR with either --config FILE "
                 "[--tokenizer DIR] or --preset tiny; got --out '%s', --config '%s', --preset '%s'"
                 "%s\n%s",
                 out.c_str(), config.c_str(), preset.c_str(),
                 tokenizer_dir.empty() ? "" : ", --tokenizer", flags.UsageHint().c_str());
    return 2;
  }
  model::RandomCheckpointOptions opt;
  opt.seed = static_cast<uint64_t>(seed);
  opt.dtype = ParseDTypeName(dtype);
  opt.include_lm_head = lm_head;
  if (!vector_dtype.empty()) opt.vector_dtype = ParseDTypeName(vector_dtype);
  if (opt.dtype == DType::kUnknown || (!vector_dtype.empty() && opt.vector_dtype == DType::kUnknown)) {
    std::fprintf(stderr, "haloguard make-checkpoint: dtype must be bf16, f32 or f16\n");
    return 2;
  }
  const Status s = preset.empty() ? Make(config, out, tokenizer_dir, opt) : MakeTiny(out, opt);
  if (!s.ok()) return ReportError("make-checkpoint", s, 1);
  std::fprintf(stderr, "wrote %s/model.safetensors and config.json%s\n", out.c_str(),
               tokenizer_dir.empty() && preset.empty() ? "" : " and the tokenizer files");
  if (!preset.empty()) {
    std::fprintf(stderr, "try it: haloguard serve --model %s   (random weights: verdicts are "
                 "meaningless)\n", out.c_str());
  }
  return 0;
}

}  // namespace
HG_REGISTER_COMMAND("make-checkpoint", "write a random-weight HF checkpoint for a config",
                    RunMakeCheckpoint);
}  // namespace haloguard::cli
