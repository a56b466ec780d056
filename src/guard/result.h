// GuardResult: the classification result for one input, with exactly the model card's
// /v1/classify fields (plus category_scores, action, threshold), and the Classifier interface
// that the server, eval and monitor lanes call. The model-backed implementation is guard/guard.h.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace haloguard::guard {

// The card's 29 categories, in the order of its guard system prompt. A --guard-prompt may define
// others: code that reports categories uses ModelInfo::categories / the result's category_scores.
inline constexpr std::array<std::string_view, 29> kCategories = {
    "chemical_weapons", "biological_weapons", "radiological_nuclear", "violence",
    "terrorism_and_extremism", "offensive_cyber", "csam", "non_consensual_sexual_content",
    "sexual_content_general", "self_harm_and_suicide", "eating_disorders", "hate_speech",
    "harassment_and_bullying", "bias_and_stereotyping", "general",
    "defamation_and_reputational_harm", "property_crime_and_theft", "non_violent_illegal",
    "animal_cruelty", "fraud_and_social_engineering", "disinformation", "privacy_violations",
    "illegal_drugs", "weapons_and_firearms", "human_trafficking", "regulated_professional_advice",
    "copyright_infringement", "unethical_acts", "politically_sensitive"};

struct CategoryScore {
  std::string label;  // one of kCategories
  double score = 0;   // probability; the 29 scores sum to 1
};

struct GuardResult {
  std::string status;          // "HARMFUL" | "HARMLESS"
  std::string safety_label;    // "Safe" | "Unsafe"
  std::string category;        // top label when unsafe, "none" when safe
  std::string attack_overlay;  // "none" | "jailbreak" | "prompt_injection"
  double confidence = 0;       // probability of the winning tier
  double p_safe = 0;           // tier_probs.safe
  double p_unsafe = 0;         // tier_probs.unsafe
  std::string raw_response;    // "Safety: unsafe\nCategory: offensive_cyber"
  std::string generated_text;  // same as raw_response (card field)
  std::string tier;            // "Safe" | "Unsafe"
  int window_count = 1;
  int selected_window_index = 0;
  std::vector<double> window_risk_scores;    // p_unsafe per window
  // [begin, end) byte offsets of each window in the classified text as given (before the
  // template's strip), so a client can shade where in a long text the risk sits. Empty when the
  // classifier does not know them (then "window_spans" is left out of the JSON).
  std::vector<std::pair<int64_t, int64_t>> window_spans;
  std::vector<CategoryScore> category_scores;  // all 29, in kCategories order
  std::string action;          // policy action: "allow" | "block" | "review" | "log"
  double threshold = 0.65;     // the threshold that decided safety_label
  int64_t prompt_tokens = 0;   // tokens of the user text (for usage accounting)
  std::map<std::string, std::string> debug;  // "_debug" object (model_id, revision, device, ...)
};

// Serialises in the card's field order:
// {status, safety_label, category, attack_overlay, confidence, tier_probs{safe,unsafe},
//  raw_response, generated_text, tier, window_count, selected_window_index, window_risk_scores,
//  category_scores{label: score}, action, threshold, window_spans[[begin, end]...], _debug{...}}.
// window_spans (an addition to the card's fields) is written only when known.
// `include_debug` = false omits "_debug". Probabilities are rounded to 4 decimals as in the card.
std::string GuardResultToJson(const GuardResult& r, bool include_debug = true);

// One input to classify: the user text (already extracted from messages if needed).
struct ClassifyRequest {
  std::string text;
  bool generate = false;  // also run the literal greedy decode for raw_response
};

// Identity of the loaded model and its limits (for /health and _debug).
struct ModelInfo {
  std::string model_id;
  std::string model_revision;
  std::string device = "cpu";
  std::string dtype;
  int64_t max_input_tokens = 1250;
  int64_t window_length = 1200;
  int64_t window_stride = 256;
  std::map<std::string, std::string> artifact_digests;  // file name -> "sha256:..."
  // How the guard decides (for /health's "settings"): weights mode, global threshold, and the
  // file names (not paths) of the policy, calibration and extra attack rules ("" = none).
  std::string weights = "exact";
  double threshold = 0.65;
  std::string policy_file, calibration_file, attack_rules_file;
  // The guard prompt's category labels, prompt order (the card's 29 unless --guard-prompt).
  std::vector<std::string> categories{kCategories.begin(), kCategories.end()};
  // The PEFT LoRA adapter merged at load (adapter_id empty = none): repo id (or directory),
  // commit, "sha256:<hex>" of adapter_model.safetensors, its base_model_name_or_path, rank,
  // scale, how it is applied ("merged" | "side_path"), targeted matrices and the adapter's
  // memory (merged copies or side-path factors).
  std::string adapter_id, adapter_revision, adapter_digest, adapter_base, adapter_mode;
  int64_t adapter_rank = 0, adapter_modules = 0;
  double adapter_scale = 0;
  size_t adapter_bytes = 0;
};

// A user text as the guard tokenizes it (no template), with each token's byte span in the text.
struct TokenizedText {
  std::vector<int32_t> ids;
  std::vector<std::pair<size_t, size_t>> spans;  // [begin, end) bytes of each token
};

// The verdict on one window of user-text tokens (the monitor lane builds documents from these).
struct WindowVerdict {
  double p_unsafe = 0;
  bool unsafe = false;       // the policy's decision for this window
  std::string category;      // top label when unsafe, "none" when safe
  std::string action;        // policy action
  double threshold = 0.65;   // threshold that decided `unsafe`
  std::vector<CategoryScore> category_scores;  // all 29, kCategories order
};

// What the server, eval and monitor lanes call. Implementations are thread-safe.
class Classifier {
 public:
  virtual ~Classifier() = default;
  // Classifies every request (batched internally); result i belongs to request i. A bad input
  // (invalid UTF-8, empty) yields an error Status in its slot without failing the others.
  virtual std::vector<StatusOr<GuardResult>> ClassifyBatch(
      std::span<const ClassifyRequest> requests) = 0;
  // Number of tokens `text` encodes to (no template), for usage accounting.
  virtual StatusOr<int64_t> CountTokens(std::string_view text) const = 0;
  virtual const ModelInfo& info() const = 0;

  // Tokenizes `text` exactly as the guard tokenizes a user message (text not stripped).
  // Errors: INVALID_ARGUMENT for ill-formed UTF-8.
  virtual StatusOr<TokenizedText> Tokenize(std::string_view text) const = 0;

  // Scores windows of user-text token ids (each at most window_length tokens) for the monitor
  // lane. background = true yields to synchronous ClassifyBatch calls between bounded chunks
  // of work, so the monitor lane never delays /v1/classify by more than one chunk; it also
  // polls `should_stop` (if set) between chunks, and once that returns true the windows not
  // yet scored come back CANCELLED (a cancelled job or a shutdown waits at most one chunk).
  virtual std::vector<StatusOr<WindowVerdict>> ScoreWindows(
      std::span<const std::vector<int32_t>> windows, bool background,
      const std::function<bool()>& should_stop) = 0;

  // SIGHUP in `serve`: reads the policy, calibration and attack-rule files again and swaps
  // them in together (a request sees the old set or the new one). On any error nothing
  // changes and the error names the file. UNIMPLEMENTED for classifiers without such files.
  virtual Status ReloadFiles() { return UnimplementedError("this classifier has no files to reload"); }
};

// Builds a classifier (e.g. guard::LoadClassifier with fixed options); what serve and worker call
// to load the model, possibly on another thread.
using ClassifierLoader = std::function<StatusOr<std::unique_ptr<Classifier>>()>;

}  // namespace haloguard::guard
