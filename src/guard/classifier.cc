// GuardClassifier implementation.
#include "guard/classifier.h"

#include <algorithm>
#include <cmath>

#include "core/utf8.h"
#include "guard/windows.h"
#include "tokenizer/chat_template.h"

namespace haloguard::guard {

struct GuardClassifier::Prepared {
  std::vector<int32_t> ids;      // tokens of the stripped user text
  std::vector<std::pair<size_t, size_t>> spans;  // [begin, end) bytes of each token in the text
  std::vector<Window> windows;
};

GuardClassifier::GuardClassifier(ClassifierParts parts, GuardOptions options)
    : parts_(std::move(parts)), options_(std::move(options)) {}

StatusOr<GuardClassifier::Prepared> GuardClassifier::Prepare(const ClassifyRequest& r) const {
  HG_RETURN_IF_ERROR(ValidateUtf8(r.text).WithPrefix("text"));
  const std::string content = tokenizer::PythonStrip(r.text);
  if (content.empty()) {
    return InvalidArgumentError("text: empty after stripping whitespace; expected a non-empty prompt");
  }
  Prepared p;
  HG_ASSIGN_OR_RETURN(p.ids, parts_.tokenizer.EncodeWithOffsets(content, &p.spans));
  // The stripped content starts at the first non-whitespace byte, which is where find() lands.
  const size_t lead = r.text.find(content);
  for (auto& [b, e] : p.spans) b += lead, e += lead;
  const int64_t n = static_cast<int64_t>(p.ids.size());
  if (n > parts_.max_input_tokens) {
    return InvalidArgumentError("text: " + std::to_string(n) + " tokens; the synchronous limit is " +
                                std::to_string(parts_.max_input_tokens) +
                                " (max_input_tokens); hint: use the monitor lane for long documents");
  }
  HG_ASSIGN_OR_RETURN(p.windows, SplitWindows(n, options_.window_length, options_.window_stride));
  return p;
}

double GuardClassifier::UnsafeProbability(const WindowScore& s) const {
  const double logit = s.logit_unsafe - s.logit_safe;  // softmax over {safe, unsafe}
  if (parts_.calibration) return parts_.calibration->Apply(logit);
  return 1.0 / (1.0 + std::exp(-logit));
}

GuardResult GuardClassifier::Aggregate(const ClassifyRequest& r, const Prepared& p,
                                       std::span<const WindowScore> scores) const {
  std::shared_lock<std::shared_mutex> overlays(overlay_mu_);
  GuardResult g;
  size_t best = 0;
  for (size_t w = 0; w < scores.size(); ++w) {
    const double pu = UnsafeProbability(scores[w]);
    g.window_risk_scores.push_back(pu);
    if (pu > g.window_risk_scores[best]) best = w;
  }
  const WindowScore& s = scores[best];
  g.window_count = static_cast<int>(scores.size());
  g.window_spans = WindowByteSpans(p.spans, p.windows);
  g.selected_window_index = static_cast<int>(best);
  g.p_unsafe = g.window_risk_scores[best];
  g.p_safe = 1.0 - g.p_unsafe;
  const std::vector<std::string>& names = parts_.info.categories;
  const size_t top = TopCategory(s);
  for (size_t c = 0; c < names.size(); ++c) g.category_scores.push_back({names[c], s.category_probs[c]});
  const PolicyDecision d = parts_.policy.Decide(g.p_unsafe, names[top]);
  g.threshold = d.threshold;
  g.action = d.action;
  g.safety_label = g.tier = d.unsafe ? "Unsafe" : "Safe";
  g.status = d.unsafe ? "HARMFUL" : "HARMLESS";
  g.category = d.unsafe ? names[top] : "none";
  g.confidence = d.unsafe ? g.p_unsafe : g.p_safe;
  g.attack_overlay = std::string(AttackOverlayName(parts_.attack.Detect(r.text)));
  if (r.generate) {
    g.raw_response = tokenizer::PythonStrip(
        "Safety: " + parts_.tokenizer.Decode(s.generated, /*skip_special_tokens=*/true));
  } else {
    g.raw_response = d.unsafe ? "Safety: unsafe\nCategory: " + g.category
                              : "Safety: safe\nCategory: none";
  }
  g.generated_text = g.raw_response;
  g.prompt_tokens = static_cast<int64_t>(p.ids.size());
  int64_t processed = 0;
  for (const WindowScore& w : scores) processed += w.tokens_processed;
  g.debug = {{"model_id", parts_.info.model_id},
             {"model_revision", parts_.info.model_revision},
             {"device", parts_.info.device},
             {"dtype", parts_.info.dtype},
             {"tokens_processed", std::to_string(processed)},
             {"prefix_cache", "on"}};
  return g;
}

std::vector<StatusOr<GuardResult>> GuardClassifier::ClassifyBatch(
    std::span<const ClassifyRequest> requests) {
  std::vector<StatusOr<Prepared>> prepared;
  std::vector<WindowRequest> windows;
  std::vector<size_t> first_window;
  for (const ClassifyRequest& r : requests) {
    prepared.push_back(Prepare(r));
    first_window.push_back(windows.size());
    if (!prepared.back().ok()) continue;
    const Prepared& p = *prepared.back();
    for (const Window& w : p.windows) {
      windows.push_back({std::span<const int32_t>(p.ids.data() + w.begin, w.end - w.begin), r.generate});
    }
  }
  std::vector<WindowScore> scores;
  Status scored = OkStatus();
  if (!windows.empty()) {
    PriorityGate::Lock lock = gate_.AcquireHigh();
    scored = parts_.scorer->Score(windows, &scores);
  }
  std::vector<StatusOr<GuardResult>> out;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!prepared[i].ok()) {
      out.push_back(prepared[i].status());
    } else if (!scored.ok()) {
      out.push_back(scored);
    } else {
      const auto n = prepared[i]->windows.size();
      out.push_back(Aggregate(requests[i], *prepared[i],
                              std::span<const WindowScore>(scores.data() + first_window[i], n)));
    }
  }
  return out;
}

size_t GuardClassifier::TopCategory(const WindowScore& s) {
  size_t top = 0;
  for (size_t c = 1; c < s.category_probs.size(); ++c)
    if (s.category_probs[c] > s.category_probs[top]) top = c;
  return top;
}

WindowVerdict GuardClassifier::Verdict(const WindowScore& s) const {
  std::shared_lock<std::shared_mutex> overlays(overlay_mu_);
  WindowVerdict v;
  v.p_unsafe = UnsafeProbability(s);
  const std::vector<std::string>& names = parts_.info.categories;
  const size_t top = TopCategory(s);
  const PolicyDecision d = parts_.policy.Decide(v.p_unsafe, names[top]);
  v.unsafe = d.unsafe;
  v.action = d.action;
  v.threshold = d.threshold;
  v.category = d.unsafe ? names[top] : "none";
  for (size_t c = 0; c < names.size(); ++c) v.category_scores.push_back({names[c], s.category_probs[c]});
  return v;
}

Status GuardClassifier::ReloadFiles() {
  HG_ASSIGN_OR_RETURN(ClassifierOverlays fresh, LoadOverlayFiles(options_, parts_.info.categories));
  std::unique_lock<std::shared_mutex> lock(overlay_mu_);
  parts_.policy = std::move(fresh.policy);
  parts_.attack = std::move(fresh.attack);
  parts_.calibration = std::move(fresh.calibration);
  return OkStatus();
}

StatusOr<TokenizedText> GuardClassifier::Tokenize(std::string_view text) const {
  HG_RETURN_IF_ERROR(ValidateUtf8(text).WithPrefix("text"));
  TokenizedText t;
  HG_ASSIGN_OR_RETURN(t.ids, parts_.tokenizer.EncodeWithOffsets(text, &t.spans));
  return t;
}

std::vector<StatusOr<WindowVerdict>> GuardClassifier::ScoreWindows(
    std::span<const std::vector<int32_t>> windows, bool background,
    const std::function<bool()>& should_stop) {
  std::vector<StatusOr<WindowVerdict>> out(windows.size(), InternalError("not scored"));
  std::vector<WindowRequest> requests;
  std::vector<size_t> slot;
  for (size_t i = 0; i < windows.size(); ++i) {
    if (static_cast<int64_t>(windows[i].size()) > options_.window_length) {
      out[i] = InvalidArgumentError("window " + std::to_string(i) + ": " +
                                    std::to_string(windows[i].size()) + " tokens; expected at most " +
                                    std::to_string(options_.window_length));
      continue;
    }
    requests.push_back({windows[i], false});
    slot.push_back(i);
  }
  if (!background) {
    std::vector<WindowScore> scores;
    Status s;
    {
      PriorityGate::Lock lock = gate_.AcquireHigh();
      s = parts_.scorer->Score(requests, &scores);
    }
    for (size_t k = 0; k < requests.size(); ++k)
      out[slot[k]] = s.ok() ? StatusOr<WindowVerdict>(Verdict(scores[k])) : StatusOr<WindowVerdict>(s);
    return out;
  }
  for (size_t k = 0; k < requests.size(); ++k) {
    WindowScore score;
    Status s = parts_.scorer->ScoreInPieces(requests[k], parts_.background_chunk_tokens,
                                            [this] { return gate_.AcquireLow(); }, should_stop,
                                            &score);
    out[slot[k]] = s.ok() ? StatusOr<WindowVerdict>(Verdict(score)) : StatusOr<WindowVerdict>(s);
  }
  return out;
}

StatusOr<int64_t> GuardClassifier::CountTokens(std::string_view text) const {
  HG_RETURN_IF_ERROR(ValidateUtf8(text).WithPrefix("text"));
  HG_ASSIGN_OR_RETURN(std::vector<int32_t> ids, parts_.tokenizer.Encode(text));
  return static_cast<int64_t>(ids.size());
}

}  // namespace haloguard::guard
