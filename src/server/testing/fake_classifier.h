// FakeClassifier: a deterministic guard::Classifier for server tests and the load test. Verdicts
// come from a fixed keyword rule (FakeClassifier::Expected), latency from a "fixed cost per
// batch + small cost per item" model, and every ClassifyBatch size is recorded. Test-only.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "guard/result.h"

namespace haloguard::server::testing {

struct FakeClassifierOptions {
  double batch_cost_ms = 0;  // slept once per ClassifyBatch call (a forward pass's fixed cost)
  double item_cost_ms = 0;   // slept per sequence in the batch
  double threshold = 0.65;
};

class FakeClassifier : public guard::Classifier {
 public:
  explicit FakeClassifier(FakeClassifierOptions options = {});

  std::vector<StatusOr<guard::GuardResult>> ClassifyBatch(
      std::span<const guard::ClassifyRequest> requests) override;
  // Tokens = maximal runs of ASCII letters/digits, plus every other non-space byte.
  StatusOr<int64_t> CountTokens(std::string_view text) const override;
  const guard::ModelInfo& info() const override { return info_; }
  // Tokens as CountTokens counts them; id = FakeTokenId(token text), spans exact.
  StatusOr<guard::TokenizedText> Tokenize(std::string_view text) const override;
  // A window is unsafe (p 0.97, "fraud_and_social_engineering") iff it holds the id of the token
  // "phishing"; otherwise p_unsafe = 0.1. Costs like one ClassifyBatch item per window.
  std::vector<StatusOr<guard::WindowVerdict>> ScoreWindows(
      std::span<const std::vector<int32_t>> windows, bool background,
      const std::function<bool()>& should_stop) override;

  // The result ClassifyBatch returns for `text` (the test oracle). Texts containing a marker
  // phrase ("phishing", "hotwire", "ignore previous instructions", "chlorine gas ... hurt",
  // "unsafe-marker") are unsafe with a fixed category; others are safe with p_unsafe < 0.5
  // derived from a hash of the text. _debug.text_fnv1a holds the text's 64-bit FNV-1a (hex),
  // so tests can prove each response belongs to its own request.
  guard::GuardResult Expected(std::string_view text) const;

  std::vector<int> batch_sizes() const;  // one entry per ClassifyBatch call, in call order
  int64_t sequences() const;             // total sequences classified

 private:
  FakeClassifierOptions opts_;
  guard::ModelInfo info_;
  mutable std::mutex mu_;
  std::vector<int> batch_sizes_;
  int64_t sequences_ = 0;
};

// The fake token id of a token's text: FNV-1a of its lower-case form, modulo 2^20.
int32_t FakeTokenId(std::string_view token);

// 64-bit FNV-1a of `s`, as 16 lower-case hex digits.
std::string Fnv1aHex(std::string_view s);

}  // namespace haloguard::server::testing
