// FakeClassifier implementation.
#include "server/testing/fake_classifier.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <thread>

#include "core/utf8.h"

namespace haloguard::server::testing {
namespace {

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

struct Marker {
  const char* phrase;
  const char* second;  // must also occur ("" = none)
  const char* category;
  const char* overlay;
};

constexpr Marker kMarkers[] = {
    {"ignore previous instructions", "", "offensive_cyber", "prompt_injection"},
    {"phishing", "", "fraud_and_social_engineering", "none"},
    {"hotwire", "", "property_crime_and_theft", "none"},
    {"chlorine gas", "hurt", "chemical_weapons", "none"},
    {"unsafe-marker", "", "violence", "none"},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string Fnv1aHex(std::string_view s) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(Fnv1a(s)));
  return buf;
}

FakeClassifier::FakeClassifier(FakeClassifierOptions options) : opts_(options) {
  info_.model_id = "test/fake-haloguard";
  info_.model_revision = "0123456789abcdef";
  info_.device = "cpu";
  info_.dtype = "bf16";
  info_.artifact_digests = {{"model.safetensors", "sha256:00"}, {"tokenizer.json", "sha256:11"}};
}

guard::GuardResult FakeClassifier::Expected(std::string_view text) const {
  const std::string lower = Lower(text);
  const Marker* hit = nullptr;
  for (const Marker& m : kMarkers) {
    if (lower.find(m.phrase) != std::string::npos &&
        (m.second[0] == '\0' || lower.find(m.second) != std::string::npos)) {
      hit = &m;
      break;
    }
  }
  const uint64_t h = Fnv1a(text);
  guard::GuardResult r;
  r.p_unsafe = hit ? 0.97 : static_cast<double>(h % 1000) / 2000.0;
  r.p_safe = 1.0 - r.p_unsafe;
  const bool unsafe = r.p_unsafe >= opts_.threshold;
  const std::string top = hit ? hit->category : std::string(guard::kCategories[h % 29]);
  r.status = unsafe ? "HARMFUL" : "HARMLESS";
  r.safety_label = r.tier = unsafe ? "Unsafe" : "Safe";
  r.category = unsafe ? top : "none";
  r.attack_overlay = hit ? hit->overlay : "none";
  r.confidence = unsafe ? r.p_unsafe : r.p_safe;
  r.raw_response = unsafe ? "Safety: unsafe\nCategory: " + top : "Safety: safe\nCategory: none";
  r.generated_text = r.raw_response;
  r.window_risk_scores = {r.p_unsafe};
  for (std::string_view c : guard::kCategories) {
    r.category_scores.push_back({std::string(c), c == top ? 0.72 : 0.01});  // 0.72 + 28 * 0.01 = 1
  }
  r.action = unsafe ? "block" : "allow";
  r.threshold = opts_.threshold;
  r.prompt_tokens = *CountTokens(text);
  r.debug = {{"model_id", info_.model_id},
             {"model_revision", info_.model_revision},
             {"device", info_.device},
             {"text_fnv1a", Fnv1aHex(text)}};
  return r;
}

std::vector<StatusOr<guard::GuardResult>> FakeClassifier::ClassifyBatch(
    std::span<const guard::ClassifyRequest> requests) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch_sizes_.push_back(static_cast<int>(requests.size()));
    sequences_ += static_cast<int64_t>(requests.size());
  }
  const double cost_ms =
      opts_.batch_cost_ms + opts_.item_cost_ms * static_cast<double>(requests.size());
  if (cost_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(cost_ms));
  std::vector<StatusOr<guard::GuardResult>> out;
  out.reserve(requests.size());
  for (const guard::ClassifyRequest& req : requests) {
    if (Status s = ValidateUtf8(req.text); !s.ok()) {
      out.push_back(s.WithPrefix("fake classifier"));
    } else if (req.text.find_first_not_of(" \t\r\n") == std::string::npos) {
      out.push_back(InvalidArgumentError("fake classifier: empty text; expected some content"));
    } else {
      out.push_back(Expected(req.text));
    }
  }
  return out;
}

StatusOr<int64_t> FakeClassifier::CountTokens(std::string_view text) const {
  int64_t n = 0;
  bool in_word = false;
  for (char c : text) {
    const bool word = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (word && !in_word)
      ++n;
    else if (!word && c != ' ' && c != '\t' && c != '\n' && c != '\r')
      ++n;
    in_word = word;
  }
  return n;
}

int32_t FakeTokenId(std::string_view token) {
  return static_cast<int32_t>(Fnv1a(Lower(token)) & 0xFFFFF);
}

StatusOr<guard::TokenizedText> FakeClassifier::Tokenize(std::string_view text) const {
  HG_RETURN_IF_ERROR(ValidateUtf8(text).WithPrefix("fake classifier"));
  guard::TokenizedText t;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t j = i + 1;
    if (std::isalnum(c)) {
      while (j < text.size() && std::isalnum(static_cast<unsigned char>(text[j]))) ++j;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      i = j;
      continue;
    }
    t.ids.push_back(FakeTokenId(text.substr(i, j - i)));
    t.spans.emplace_back(i, j);
    i = j;
  }
  return t;
}

std::vector<StatusOr<guard::WindowVerdict>> FakeClassifier::ScoreWindows(
    std::span<const std::vector<int32_t>> windows, bool /*background*/,
    const std::function<bool()>& /*should_stop*/) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    sequences_ += static_cast<int64_t>(windows.size());
  }
  const double cost_ms = opts_.item_cost_ms * static_cast<double>(windows.size());
  if (cost_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(cost_ms));
  const int32_t marker = FakeTokenId("phishing");
  std::vector<StatusOr<guard::WindowVerdict>> out;
  for (const std::vector<int32_t>& w : windows) {
    guard::WindowVerdict v;
    const bool hit = std::find(w.begin(), w.end(), marker) != w.end();
    v.p_unsafe = hit ? 0.97 : 0.1;
    v.unsafe = v.p_unsafe >= opts_.threshold;
    v.category = v.unsafe ? "fraud_and_social_engineering" : "none";
    v.action = v.unsafe ? "block" : "allow";
    v.threshold = opts_.threshold;
    for (std::string_view c : guard::kCategories)
      v.category_scores.push_back({std::string(c), c == "fraud_and_social_engineering" ? 0.72 : 0.01});
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<int> FakeClassifier::batch_sizes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batch_sizes_;
}

int64_t FakeClassifier::sequences() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sequences_;
}

}  // namespace haloguard::server::testing
