// libFuzzer target: the operator-supplied guard files (reloaded on SIGHUP by `serve`): policy
// JSON, calibration JSON, extra attack rules, and --guard-prompt files, as text. Byte 0 picks the
// parser; each must
// return a value or an error with a message, never crash. A detector that compiles is also run
// on its own rules file text (arbitrary bytes as a prompt).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "guard/attack.h"
#include "guard/calibration.h"
#include "guard/policy.h"
#include "guard/prompt.h"

namespace g = haloguard::guard;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto p = g::Policy::Parse(text, 0.65, "fuzz-policy");
      if (p.ok()) {
        const double t = p->global_threshold();
        if (!g::Policy::IsValidThreshold(t)) std::abort();
        (void)p->Decide(0.5, "violent_crimes");
      } else if (p.status().message().empty()) {
        std::abort();
      }
      break;
    }
    case 1: {
      auto c = g::ParseCalibration(text, "fuzz-calibration");
      if (!c.ok() && c.status().message().empty()) std::abort();
      break;
    }
    case 3: {
      auto p = g::ParseGuardPrompt(std::string(text), "fuzz-prompt");
      if (p.ok()) {
        if (p->categories.empty() || p->system_prompt != text) std::abort();
        // A prompt that parses must be usable as a policy's category list.
        (void)g::Policy::Default(0.65, p->categories).Decide(0.9, p->categories.back());
      } else if (p.status().message().empty()) {
        std::abort();
      }
      break;
    }
    default: {
      auto d = g::AttackDetector::FromJson(text, "fuzz-rules", /*with_builtin=*/false);
      if (d.ok()) {
        (void)d->Detect(text);
      } else if (d.status().message().empty()) {
        std::abort();
      }
      break;
    }
  }
  return 0;
}
