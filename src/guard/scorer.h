// Scorer: what the guard asks of a model — for each window of user-text token ids, the logits of
// the verdict tokens at the "Safety: " cue and the category distribution. ModelScorer runs the
// real model; tests substitute a fake.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "guard/priority_gate.h"

namespace haloguard::guard {

// Token ids of the fixed parts of the guard prompt (built from the tokenizer by prompt.cc).
struct GuardPromptIds {
  std::vector<int32_t> prefix;    // system turn + "<|im_start|>user\n"
  std::vector<int32_t> suffix;    // "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nSafety: "
  int32_t safe_id = -1;           // encode("safe")[0]
  int32_t unsafe_id = -1;         // encode("unsafe")[0]
  std::vector<int32_t> category_prefix;              // encode("unsafe\nCategory:")
  std::vector<std::vector<int32_t>> category_labels; // continuation ids of each label
  std::vector<std::string> category_names;           // the labels, same order (prompt order)
  std::vector<int32_t> stop_ids;  // greedy decoding stops at these (<|im_end|>, <|endoftext|>)
};

struct WindowRequest {
  std::span<const int32_t> content;  // user-text tokens of this window
  bool generate = false;             // also greedy-decode up to 32 tokens after the cue
};

struct WindowScore {
  double logit_safe = 0;
  double logit_unsafe = 0;
  std::vector<double> category_probs;  // [labels], sums to 1, GuardPromptIds::category_names order
  std::vector<int32_t> generated;      // greedy tokens (generate only), stop token excluded
  int64_t tokens_processed = 0;        // tokens run through the model for this window
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  // Scores every window (batched internally); out->size() == windows.size() on success.
  virtual Status Score(std::span<const WindowRequest> windows, std::vector<WindowScore>* out) = 0;

  // Scores one window as a sequence of bounded pieces of work (prefill in pieces of at most
  // `chunk_tokens` tokens, then the category pass), each run while holding a lock from
  // `acquire()`; between pieces the lock is released so other work can run. Same result as
  // Score (generate is not supported here). Before each piece `should_stop` (if set) is polled;
  // once it returns true the call ends with CANCELLED.
  virtual Status ScoreInPieces(const WindowRequest& window, int64_t chunk_tokens,
                               const std::function<PriorityGate::Lock()>& acquire,
                               const std::function<bool()>& should_stop, WindowScore* out) = 0;
};

}  // namespace haloguard::guard
