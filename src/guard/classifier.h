// GuardClassifier: text -> GuardResult. Strips and tokenizes the user text, splits it into
// windows, scores every window of every request in batched forward passes (through a Scorer),
// keeps the riskiest window, and applies calibration, policy and the attack overlay.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include "guard/attack.h"
#include "guard/calibration.h"
#include "guard/guard.h"
#include "guard/policy.h"
#include "guard/priority_gate.h"
#include "guard/result.h"
#include "guard/scorer.h"
#include "tokenizer/tokenizer.h"

namespace haloguard::guard {

struct ClassifierParts {
  tokenizer::Tokenizer tokenizer;
  std::unique_ptr<Scorer> scorer;
  Policy policy = Policy::Default();
  AttackDetector attack;
  std::optional<Calibration> calibration;
  ModelInfo info;
  int64_t max_input_tokens = 16384;  // user-text tokens per synchronous request
  int64_t background_chunk_tokens = 32;  // monitor-lane prefill piece (the preemption bound)
};

// The parts of a classifier that come from the optional files, reloadable on SIGHUP.
struct ClassifierOverlays {
  Policy policy = Policy::Default();
  AttackDetector attack;
  std::optional<Calibration> calibration;
};

// Loads options' policy_file, calibration_file and attack_rules_file (defaults where a file is
// ""); a policy may name only `categories` (the guard prompt's labels). Errors name the file
// (NOT_FOUND, INVALID_ARGUMENT).
StatusOr<ClassifierOverlays> LoadOverlayFiles(const GuardOptions& options,
                                              const std::vector<std::string>& categories);

class GuardClassifier : public Classifier {
 public:
  explicit GuardClassifier(ClassifierParts parts, GuardOptions options);

  // Per-request errors (INVALID_ARGUMENT): ill-formed UTF-8 (byte offset named), empty after
  // stripping whitespace, more than max_input_tokens tokens. Thread-safe: tokenization runs in
  // the caller's thread, scoring is serialised.
  std::vector<StatusOr<GuardResult>> ClassifyBatch(std::span<const ClassifyRequest> requests) override;
  StatusOr<int64_t> CountTokens(std::string_view text) const override;
  const ModelInfo& info() const override { return parts_.info; }
  StatusOr<TokenizedText> Tokenize(std::string_view text) const override;
  // Windows longer than window_length are an error in their slot. Background scoring runs one
  // window at a time in pieces of background_chunk_tokens under the low-priority gate.
  std::vector<StatusOr<WindowVerdict>> ScoreWindows(std::span<const std::vector<int32_t>> windows,
                                                    bool background,
                                                    const std::function<bool()>& should_stop) override;

  // Reloads policy, calibration and attack rules from options' files (Classifier::ReloadFiles).
  Status ReloadFiles() override;

  // p_unsafe of a window from its verdict logits (calibrated if a calibration is loaded).
  // The caller holds overlay_mu_ (shared).
  double UnsafeProbability(const WindowScore& s) const;

 private:
  struct Prepared;  // one request's tokens and windows
  StatusOr<Prepared> Prepare(const ClassifyRequest& r) const;
  GuardResult Aggregate(const ClassifyRequest& r, const Prepared& p,
                        std::span<const WindowScore> scores) const;
  WindowVerdict Verdict(const WindowScore& s) const;
  // Index of the top category of a window (first on ties).
  static size_t TopCategory(const WindowScore& s);

  ClassifierParts parts_;
  GuardOptions options_;
  PriorityGate gate_;
  // Guards parts_.policy, parts_.attack, parts_.calibration: shared while a result is built,
  // exclusive while ReloadFiles swaps them.
  mutable std::shared_mutex overlay_mu_;
};

}  // namespace haloguard::guard
