// Flags shared by every command that loads the guard (classify, serve, worker, monitor; eval and
// bench use ParseWeightMode): each declared once, mapped onto guard::GuardOptions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "cli/flags.h"
#include "guard/guard.h"
#include "hub/aliases.h"
#include "model/qwen35.h"

namespace haloguard::cli {

inline constexpr const char* kWeightsHelp =
    "weight mode: exact (stored weights, fp32 arithmetic), int8 (per-row int8 projections, ~3x "
    "faster prefill, approximate: docs/PERFORMANCE.md) or bf16 (activations rounded to bf16, bf16 "
    "dot products with fp32 accumulation; AVX512_BF16 CPUs, else exact)";

inline constexpr const char* kAdapterHelp =
    "PEFT LoRA adapter: directory or Hub repo id with adapter_config.json + "
    "adapter_model.safetensors, merged into copies of only the matrices it targets (docs/LORA.md)";

// Saturates instead of wrapping, so an absurd flag value fails validation rather than turning
// into a small valid one.
inline int SaturateInt(int64_t v) {
  return static_cast<int>(
      std::clamp<int64_t>(v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}
inline int64_t SecondsToMs(int64_t s) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000;
  return std::clamp<int64_t>(s, -kMax, kMax) * 1000;
}

// "exact" -> kExact, "int8" -> kInt8, "bf16" -> kBf16. Errors: INVALID_ARGUMENT naming the flag
// and the value.
inline StatusOr<model::WeightMode> ParseWeightMode(const std::string& name) {
  if (name == "exact") return model::WeightMode::kExact;
  if (name == "int8") return model::WeightMode::kInt8;
  if (name == "bf16") return model::WeightMode::kBf16;
  return InvalidArgumentError("--weights: expected exact, int8 or bf16, got '" + name + "'");
}

// --adapter-mode: auto | merged | side-path (model::AdapterMode).
inline StatusOr<model::AdapterMode> ParseAdapterMode(const std::string& mode) {
  if (mode == "auto") return model::AdapterMode::kAuto;
  if (mode == "merged") return model::AdapterMode::kMerged;
  if (mode == "side-path") return model::AdapterMode::kSidePath;
  return InvalidArgumentError("--adapter-mode: expected auto, merged or side-path, got '" + mode + "'");
}

// The guard flags as parsed; integers stay 64-bit until GuardOptionsFrom saturates them.
struct GuardFlags {
  guard::GuardOptions guard;  // guard.model: the default --model (empty = none)
  int64_t threads = 0, max_batch = 16;
  std::string weights = "exact";
  std::string adapter_mode = "auto";
};

// Declares --model, --threshold, --window-length, --window-stride, --policy, --calibration,
// --attack-rules, --guard-prompt, --threads, --max-batch, --max-input-tokens, --background-chunk-tokens,
// --offline, --weights, --adapter and --adapter-mode on `f`, writing into `g`.
inline void AddGuardFlags(FlagSet& f, GuardFlags* g) {
  guard::GuardOptions& o = g->guard;
  f.String("model", &o.model,
           "checkpoint directory or Hugging Face repo id (pulled on first use); " +
               hub::RepoAliasesHelp());
  f.Double("threshold", &o.threshold, "unsafe iff p_unsafe >= threshold");
  f.Int("window-length", &o.window_length, "user-text tokens per window");
  f.Int("window-stride", &o.window_stride, "tokens between window starts");
  f.String("policy", &o.policy_file, "JSON policy file (docs/POLICY.md)");
  f.String("calibration", &o.calibration_file, "temperature-scaling file from `haloguard calibrate`");
  f.String("attack-rules", &o.attack_rules_file, "extra attack-overlay rules (docs/ATTACK_OVERLAY.md)");
  f.String("guard-prompt", &o.guard_prompt_file,
           "system prompt file; its <BEGIN UNSAFE CONTENT CATEGORIES> block defines the "
           "categories scored (docs/GUARD_PROMPT.md; default: the card's prompt)");
  f.Int("threads", &g->threads, "compute threads for the model; 0 = all cores");
  f.Int("max-batch", &g->max_batch, "sequences per batched forward pass");
  f.Int("max-input-tokens", &o.max_input_tokens, "user-text tokens accepted per input (400 beyond)");
  f.Int("background-chunk-tokens", &o.background_chunk_tokens,
        "monitor-lane prefill piece: the most background work a request can wait behind");
  f.Bool("offline", &o.offline, "never touch the network when resolving --model");
  f.String("weights", &g->weights, kWeightsHelp);
  f.String("adapter", &o.adapter, kAdapterHelp);
  f.String("adapter-mode", &g->adapter_mode,
           "how --adapter is applied: merged (fp32 copies of the targeted matrices, fastest), "
           "side-path (y += scale (x A^T) B^T, no copies) or auto (merged unless the copies "
           "would exceed 1/4 of the checkpoint; int8: merged)");
}

// The options for guard::LoadClassifier: --weights parsed, integers saturated, ranges checked
// (guard::ValidateGuardOptions). Errors: INVALID_ARGUMENT naming the flag at fault.
inline StatusOr<guard::GuardOptions> GuardOptionsFrom(const GuardFlags& g) {
  HG_ASSIGN_OR_RETURN(const model::WeightMode mode, ParseWeightMode(g.weights));
  HG_ASSIGN_OR_RETURN(const model::AdapterMode adapter_mode, ParseAdapterMode(g.adapter_mode));
  guard::GuardOptions o = g.guard;
  o.adapter_mode = adapter_mode;
  o.weights = mode;
  o.threads = SaturateInt(g.threads);
  o.max_batch = SaturateInt(g.max_batch);
  HG_RETURN_IF_ERROR(guard::ValidateGuardOptions(o));
  return o;
}

}  // namespace haloguard::cli
