// Flags shared by the commands that load the guard (classify, serve, eval, bench): each declared
// once, mapped onto guard::GuardOptions.
#pragma once

#include <string>

#include "cli/flags.h"
#include "guard/guard.h"
#include "hub/hub.h"
#include "model/qwen35.h"

namespace haloguard::cli {

inline constexpr const char* kWeightsHelp =
    "weight mode: exact (default; stored weights, fp32 arithmetic) or int8 (per-row int8 "
    "projections, ~3x faster prefill, approximate: docs/PERFORMANCE.md)";

// "exact" -> kExact, "int8" -> kInt8. Errors: INVALID_ARGUMENT naming the flag and the value.
inline StatusOr<model::WeightMode> ParseWeightMode(const std::string& name) {
  if (name == "exact") return model::WeightMode::kExact;
  if (name == "int8") return model::WeightMode::kInt8;
  return InvalidArgumentError("--weights: expected exact or int8, got '" + name + "'");
}

// Declares --model, --threshold, --window-length, --window-stride, --policy, --calibration,
// --attack-rules, --threads, --max-batch, --max-input-tokens, --offline, --weights on `f`,
// writing into `g` (numbers and --weights into the out-parameters; map --weights with
// ParseWeightMode after parsing). --model defaults to the HaloGuard-0.8B repo id (pulled on
// first use).
inline void AddGuardFlags(FlagSet& f, guard::GuardOptions* g, int64_t* threads, int64_t* max_batch,
                          std::string* weights) {
  if (g->model.empty()) g->model = hub::kDefaultRepoId;
  f.String("model", &g->model, "checkpoint directory or Hugging Face repo id");
  f.Double("threshold", &g->threshold, "unsafe iff p_unsafe >= threshold");
  f.Int("window-length", &g->window_length, "user-text tokens per window");
  f.Int("window-stride", &g->window_stride, "tokens between window starts");
  f.String("policy", &g->policy_file, "JSON policy file (docs/POLICY.md)");
  f.String("calibration", &g->calibration_file, "temperature-scaling file from `haloguard calibrate`");
  f.String("attack-rules", &g->attack_rules_file, "extra attack-overlay rules (docs/ATTACK_OVERLAY.md)");
  f.Int("threads", threads, "compute threads (0 = all cores)");
  f.Int("max-batch", max_batch, "sequences per batched forward pass");
  f.Int("max-input-tokens", &g->max_input_tokens, "user-text tokens accepted per input");
  f.Bool("offline", &g->offline, "never touch the network when resolving --model");
  f.String("weights", weights, kWeightsHelp);
}

}  // namespace haloguard::cli
