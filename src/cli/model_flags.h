// Flags shared by the commands that load the guard model for the monitor lane (`worker`,
// `monitor`): model resolution, thresholds, windows, policy files, compute threads; plus the
// saturating conversions of integer flags. Header-only: src/cli builds cmd_*.cc into the binary.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "cli/flags.h"
#include "guard/guard.h"

namespace haloguard::cli {

struct ModelFlags {
  guard::GuardOptions guard;
  int64_t threads = 0, max_batch = 16;
};

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

inline void DeclareModelFlags(FlagSet& f, ModelFlags* m) {
  f.String("model", &m->guard.model, "checkpoint directory or Hub repo id");
  f.Int("threads", &m->threads, "compute threads for the model (0 = all cores)");
  f.Int("max-batch", &m->max_batch, "sequences per batched forward pass");
  f.Double("threshold", &m->guard.threshold, "unsafe iff p_unsafe >= threshold");
  f.Int("window-length", &m->guard.window_length, "user-text tokens per window");
  f.Int("window-stride", &m->guard.window_stride, "tokens between window starts");
  f.String("policy", &m->guard.policy_file, "JSON policy file");
  f.String("calibration", &m->guard.calibration_file, "temperature-scaling file");
  f.String("attack-rules", &m->guard.attack_rules_file, "extra attack-overlay rules");
  f.Bool("offline", &m->guard.offline, "never touch the network when resolving --model");
}

// The options for guard::LoadClassifier, with the integer flags converted.
inline guard::GuardOptions ModelOptions(const ModelFlags& m) {
  guard::GuardOptions g = m.guard;
  g.threads = SaturateInt(m.threads);
  g.max_batch = SaturateInt(m.max_batch);
  return g;
}

}  // namespace haloguard::cli
