// The guard end to end on a tiny random checkpoint with the tiny byte-level tokenizer, against
// the independent Python guard reference (tools/reference/guard_ref.py: Jinja2-rendered prompt,
// HF `tokenizers` ids, float64 model): prompt ids, p_unsafe, the 29 category scores, windows and
// the selected window, for window settings 1200/256 and 96/40. Also: prefix cache == no cache,
// background (monitor) scoring == foreground, bad inputs, policy and the attack overlay.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/bf16.h"
#include "core/tolerance.h"
#include "guard/classifier.h"
#include "guard/guard.h"
#include "guard/label_trie.h"
#include "guard/model_scorer.h"
#include "guard/prompt.h"
#include "guard/windows.h"
#include "kernels/reference/reference.h"
#include "model/lora_test_util.h"
#include "model/qwen35.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace haloguard::guard {
namespace {

const std::string kModelDir = std::string(HG_SOURCE_DIR) + "/tests/data/tiny_qwen35";
const std::string kDataDir = std::string(HG_SOURCE_DIR) + "/tests/data/guard";

std::vector<nlohmann::json> ReadJsonl(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  HG_CHECK(!out.empty()) << path;
  return out;
}

// Derived bound on |C++ - reference| for one logit (docs/TOLERANCES.md, as in golden_test.cc):
// the final normalised state carries a relative error rel <= ProbGamma(n) * (2^L - 1) * 2 with
// n = D + F + T + 64 Dk (the longest reduction chain of a layer, T the prompt length) and a
// factor 2 per residual layer; a logit is that state dotted with a head row, so by
// Cauchy-Schwarz |err| <= rel * |final|_2 * |row|_2 with |final|_2 <= sqrt(D) * max(1 + w_norm).
struct Bounds {
  double rel = 0;
  double final_norm2 = 0;
  double max_row_norm2 = 0;
  double Logit() const { return rel * final_norm2 * max_row_norm2; }
  // p = sigmoid(l_u - l_s): |dp| <= |d(l_u - l_s)| / 4 <= 2 Logit() / 4.
  double Probability() const { return Logit() / 2; }
  // A label probability is a product of <= depth restricted softmaxes; each log-probability
  // moves by <= 2 Logit(), so |dP| <= P (exp(2 depth Logit()) - 1) <= exp(...) - 1.
  double Category(int depth) const { return std::expm1(2.0 * depth * Logit()); }
};

Bounds MakeBounds(const model::Model& m, int64_t T) {
  const model::TextConfig& c = m.config();
  Bounds b;
  // A merged LoRA adapter adds its rounding as more terms per reduction (docs/TOLERANCES.md).
  const double n = double(c.hidden_size + c.intermediate_size + T + 64 * c.linear_key_head_dim) +
                   model::testing::LoraExtraReductionTerms(m);
  b.rel = ProbGamma(n) * (std::pow(2.0, double(c.num_hidden_layers)) - 1) * 2 + ProbGamma(c.hidden_size);
  double max_scale = 0;
  for (float w : m.weights().norm) max_scale = std::max(max_scale, double(std::fabs(w)));
  b.final_norm2 = std::sqrt(double(c.hidden_size)) * max_scale;
  const auto& head = m.weights().lm_head;
  for (int64_t r = 0; r < head.rows; ++r) {
    double ss = 0;
    for (int64_t k = 0; k < head.cols; ++k) {
      const double v = kernels::ref::LoadWeight(head, r, k);
      ss += v * v;
    }
    b.max_row_norm2 = std::max(b.max_row_norm2, std::sqrt(ss));
  }
  return b;
}

struct GuardE2E : ::testing::Test {
  static void SetUpTestSuite() {
    auto m = model::Model::Load(kModelDir);
    HG_CHECK(m.ok()) << m.status().ToString();
    model_ = m->release();
    auto t = tokenizer::Tokenizer::LoadFromDir(kModelDir);
    HG_CHECK(t.ok()) << t.status().ToString();
    tokenizer_ = new tokenizer::Tokenizer(*t);
  }
  static void TearDownTestSuite() {
    delete model_;
    delete tokenizer_;
  }
  static std::unique_ptr<Classifier> Load(int64_t window, int64_t stride, double threshold = 0.65,
                                          int64_t background_chunk = 32,
                                          const std::string& guard_prompt_file = "",
                                          const std::string& adapter = "") {
    GuardOptions o;
    o.adapter = adapter;
    o.guard_prompt_file = guard_prompt_file;
    o.model = kModelDir;
    o.window_length = window;
    o.window_stride = stride;
    o.threshold = threshold;
    o.background_chunk_tokens = background_chunk;
    o.threads = 2;
    o.offline = true;
    auto c = LoadClassifier(o);
    HG_CHECK(c.ok()) << c.status().ToString();
    return std::move(*c);
  }
  // The most branching trie nodes on one label's path (only those contribute a softmax).
  static int MaxLabelDepth(const GuardPrompt& prompt = DefaultGuardPrompt()) {
    auto ids = BuildPromptIds(*tokenizer_, prompt);
    auto trie = LabelTrie::Build(ids->category_labels);
    HG_CHECK(trie.ok());
    int best = 0;
    for (const auto& label : ids->category_labels) {
      int node = 0, depth = 0;
      for (int32_t tok : label) {
        const auto& n = trie->nodes()[node];
        depth += n.child_tokens.size() >= 2;
        for (size_t c = 0; c < n.child_tokens.size(); ++c)
          if (n.child_tokens[c] == tok) node = n.child_nodes[c];
      }
      best = std::max(best, depth);
    }
    return best;
  }
  static model::Model* model_;
  static tokenizer::Tokenizer* tokenizer_;
};
model::Model* GuardE2E::model_ = nullptr;
tokenizer::Tokenizer* GuardE2E::tokenizer_ = nullptr;

void CompareWithReference(Classifier& c, const std::string& expected_file, const model::Model& m,
                          int depth) {
  const auto inputs = ReadJsonl(kDataDir + "/inputs.jsonl");
  const auto want = ReadJsonl(kDataDir + "/" + expected_file);
  ASSERT_EQ(inputs.size(), want.size());
  std::vector<ClassifyRequest> reqs;
  for (const auto& in : inputs) reqs.push_back({in["text"].get<std::string>(), false});
  auto got = c.ClassifyBatch(reqs);  // every window of every input in shared batches
  for (size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE(inputs[i]["id"].get<std::string>() + " / " + expected_file);
    ASSERT_TRUE(got[i].ok()) << got[i].status().ToString();
    const GuardResult& g = *got[i];
    const nlohmann::json& w = want[i];
    const Bounds b = MakeBounds(m, static_cast<int64_t>(w["prompt_ids"].size()) + 8);
    EXPECT_NEAR(g.p_unsafe, w["p_unsafe"].get<double>(), b.Probability());
    ASSERT_EQ(g.window_count, w["window_count"].get<int>());
    const auto risks = w["window_risk_scores"].get<std::vector<double>>();
    for (size_t k = 0; k < risks.size(); ++k) EXPECT_NEAR(g.window_risk_scores[k], risks[k], b.Probability());
    const int sel = w["selected_window_index"].get<int>();
    if (g.selected_window_index != sel) {  // only a near-tie may pick another window
      EXPECT_LE(std::fabs(risks[g.selected_window_index] - risks[sel]), 2 * b.Probability());
    }
    for (const CategoryScore& cs : g.category_scores) {
      EXPECT_NEAR(cs.score, w["category_scores"][cs.label].get<double>(), b.Category(depth)) << cs.label;
    }
  }
}

TEST_F(GuardE2E, PromptIdsEqualTheRenderedPromptsHfTokenization) {
  auto ids = BuildPromptIds(*tokenizer_);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  const auto inputs = ReadJsonl(kDataDir + "/inputs.jsonl");
  const auto want = ReadJsonl(kDataDir + "/expected_w1200_s256.jsonl");
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto content = tokenizer_->Encode(tokenizer::PythonStrip(inputs[i]["text"].get<std::string>()));
    ASSERT_TRUE(content.ok());
    std::vector<int32_t> got = ids->prefix;
    const size_t n = std::min<size_t>(content->size(), 1200);  // the first window
    got.insert(got.end(), content->begin(), content->begin() + n);
    got.insert(got.end(), ids->suffix.begin(), ids->suffix.end());
    EXPECT_EQ(got, want[i]["prompt_ids"].get<std::vector<int32_t>>()) << inputs[i]["id"];
  }
}

TEST_F(GuardE2E, MatchesTheReferenceWithDefaultWindows) {
  auto c = Load(1200, 256);
  CompareWithReference(*c, "expected_w1200_s256.jsonl", *model_, MaxLabelDepth());
}

TEST_F(GuardE2E, MatchesTheReferenceWithManySmallWindows) {
  auto c = Load(96, 40);
  CompareWithReference(*c, "expected_w96_s40.jsonl", *model_, MaxLabelDepth());
}

// A custom guard prompt (tests/data/guard/custom_guard_prompt.txt: the card's prompt with one more
// policy sentence and a 30th category) against guard_ref.py --guard-prompt on the same file, at
// threshold 0.368 so that both verdicts occur (the nearest p_unsafe is 1e-3 away from it).
TEST_F(GuardE2E, CustomGuardPromptWithAnExtraCategoryMatchesTheReference) {
  const std::string file = kDataDir + "/custom_guard_prompt.txt";
  auto prompt = LoadGuardPrompt(file);
  ASSERT_TRUE(prompt.ok()) << prompt.status().ToString();
  ASSERT_EQ(prompt->categories.size(), 30u);
  EXPECT_EQ(prompt->categories.back(), "crypto_investment_scams");
  auto c = Load(1200, 256, /*threshold=*/0.368, 32, file);  // the reference ran with 0.368
  EXPECT_EQ(c->info().categories, prompt->categories);
  EXPECT_EQ(c->info().artifact_digests.count("guard_prompt"), 1u);
  CompareWithReference(*c, "expected_custom_prompt.jsonl", *model_, MaxLabelDepth(*prompt));
  const auto inputs = ReadJsonl(kDataDir + "/inputs.jsonl");
  const auto want = ReadJsonl(kDataDir + "/expected_custom_prompt.jsonl");
  auto ids = BuildPromptIds(*tokenizer_, *prompt);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  const auto card = ReadJsonl(kDataDir + "/expected_w1200_s256.jsonl");
  int changed = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE(inputs[i]["id"].get<std::string>());
    auto got = c->ClassifyBatch(std::vector<ClassifyRequest>{{inputs[i]["text"].get<std::string>(), false}});
    ASSERT_TRUE(got[0].ok()) << got[0].status().ToString();
    ASSERT_EQ(got[0]->category_scores.size(), 30u);
    for (size_t k = 0; k < 30; ++k) EXPECT_EQ(got[0]->category_scores[k].label, prompt->categories[k]);
    EXPECT_EQ(got[0]->safety_label == "Unsafe", want[i]["safety_label"] == "unsafe");
    EXPECT_EQ(got[0]->category, want[i]["category"].get<std::string>());
    // The prompt ids are the reference's for the custom prompt (first window).
    auto content = tokenizer_->Encode(tokenizer::PythonStrip(inputs[i]["text"].get<std::string>()));
    ASSERT_TRUE(content.ok());
    std::vector<int32_t> pid = ids->prefix;
    pid.insert(pid.end(), content->begin(), content->begin() + std::min<size_t>(content->size(), 1200));
    pid.insert(pid.end(), ids->suffix.begin(), ids->suffix.end());
    EXPECT_EQ(pid, want[i]["prompt_ids"].get<std::vector<int32_t>>());
    changed += std::fabs(want[i]["p_unsafe"].get<double>() - card[i]["p_unsafe"].get<double>()) > 1e-6;
  }
  EXPECT_EQ(changed, static_cast<int>(inputs.size()));  // the prompt really is different
}

// A PEFT LoRA adapter (tests/data/lora/tiny_qwen35_adapter, random, real PEFT layout) against
// guard_ref.py --adapter (float64 merge): every number within the derived bounds, and the
// verdicts the adapter changes (card-injection and long-many-windows become unsafe) change here
// too, to the reference's verdict and category.
TEST_F(GuardE2E, LoraAdapterChangesVerdictsLikeTheReference) {
  const std::string dir = std::string(HG_SOURCE_DIR) + "/tests/data/lora/tiny_qwen35_adapter";
  auto c = Load(1200, 256, 0.65, 32, "", dir);
  model::LoadOptions lo;
  lo.adapter_dir = dir;
  auto merged = model::Model::Load(kModelDir, lo);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  CompareWithReference(*c, "../lora/tiny_qwen35_adapter/expected_guard.jsonl", **merged, MaxLabelDepth());
  EXPECT_EQ(c->info().adapter_id, dir);
  EXPECT_EQ(c->info().adapter_rank, 4);
  EXPECT_EQ(c->info().adapter_digest.substr(0, 7), "sha256:");
  EXPECT_EQ(c->info().artifact_digests.at("adapter/adapter_model.safetensors"), c->info().adapter_digest);
  auto base = Load(1200, 256);
  EXPECT_TRUE(base->info().adapter_id.empty());
  const auto inputs = ReadJsonl(kDataDir + "/inputs.jsonl");
  const auto want = ReadJsonl(dir + "/expected_guard.jsonl");
  const auto want_base = ReadJsonl(kDataDir + "/expected_w1200_s256.jsonl");
  int changed = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    SCOPED_TRACE(inputs[i]["id"].get<std::string>());
    const std::vector<ClassifyRequest> req{{inputs[i]["text"].get<std::string>(), false}};
    auto with = c->ClassifyBatch(req), without = base->ClassifyBatch(req);
    ASSERT_TRUE(with[0].ok() && without[0].ok());
    EXPECT_EQ(with[0]->safety_label == "Unsafe", want[i]["safety_label"] == "unsafe");
    EXPECT_EQ(with[0]->category, want[i]["category"].get<std::string>());
    EXPECT_EQ(without[0]->safety_label == "Unsafe", want_base[i]["safety_label"] == "unsafe");
    changed += with[0]->safety_label != without[0]->safety_label;
  }
  EXPECT_EQ(changed, 2);  // card-injection and long-many-windows (tests/data/lora/PROVENANCE.md)
}

TEST_F(GuardE2E, PrefixCacheEqualsRunningTheWholePrompt) {
  auto ids = BuildPromptIds(*tokenizer_);
  ASSERT_TRUE(ids.ok());
  ThreadPool pool(2);
  ModelScorerOptions uncached;
  uncached.use_prefix_cache = false;
  auto a = ModelScorer::Create(*model_, pool, *ids, {});
  auto b = ModelScorer::Create(*model_, pool, *ids, uncached);
  ASSERT_TRUE(a.ok() && b.ok());
  auto content = tokenizer_->Encode("Write a phishing email that impersonates a bank.");
  std::vector<WindowRequest> req = {{*content, false}};
  std::vector<WindowScore> sa, sb;
  ASSERT_TRUE((*a)->Score(req, &sa).ok());
  ASSERT_TRUE((*b)->Score(req, &sb).ok());
  const Bounds bd = MakeBounds(*model_, 600);
  EXPECT_NEAR(sa[0].logit_unsafe - sa[0].logit_safe, sb[0].logit_unsafe - sb[0].logit_safe, 2 * bd.Logit());
  for (size_t k = 0; k < 29; ++k)
    EXPECT_NEAR(sa[0].category_probs[k], sb[0].category_probs[k], bd.Category(MaxLabelDepth()));
}

TEST_F(GuardE2E, BackgroundWindowScoringEqualsForegroundAndClassify) {
  auto c = Load(96, 40);
  const std::string text = ReadJsonl(kDataDir + "/inputs.jsonl").back()["text"];
  auto tok = c->Tokenize(tokenizer::PythonStrip(text));
  ASSERT_TRUE(tok.ok());
  auto windows = SplitWindows(static_cast<int64_t>(tok->ids.size()), 96, 40);
  std::vector<std::vector<int32_t>> w;
  for (const Window& x : *windows) w.emplace_back(tok->ids.begin() + x.begin, tok->ids.begin() + x.end);
  auto fg = c->ScoreWindows(w, false, {});
  auto bg = c->ScoreWindows(w, true, {});
  auto cl = c->ClassifyBatch(std::vector<ClassifyRequest>{{text, false}});
  ASSERT_TRUE(cl[0].ok());
  const Bounds b = MakeBounds(*model_, 600);
  for (size_t k = 0; k < w.size(); ++k) {
    ASSERT_TRUE(fg[k].ok() && bg[k].ok());
    EXPECT_NEAR(fg[k]->p_unsafe, bg[k]->p_unsafe, b.Probability());
    EXPECT_NEAR(fg[k]->p_unsafe, cl[0]->window_risk_scores[k], b.Probability());
  }
  std::vector<std::vector<int32_t>> too_long = {std::vector<int32_t>(97, 5)};
  EXPECT_FALSE(c->ScoreWindows(too_long, true, {})[0].ok());
}

// window_spans: each window's byte span in the text as sent (leading/trailing whitespace kept)
// tokenizes to exactly that window's tokens, the spans step forward and cover the stripped text.
TEST_F(GuardE2E, WindowSpansAreTheWindowsBytesInTheTextAsSent) {
  auto c = Load(96, 40);
  std::string body;
  for (int i = 0; i < 40; ++i) body += "line " + std::to_string(i) + ": caf\xc3\xa9 na\xc3\xafve text; ";
  const std::string text = "  \n" + body + " \n";
  auto r = c->ClassifyBatch(std::vector<ClassifyRequest>{{text, false}});
  ASSERT_TRUE(r[0].ok()) << r[0].status().ToString();
  const GuardResult& g = *r[0];
  ASSERT_GT(g.window_count, 2);
  ASSERT_EQ(g.window_spans.size(), static_cast<size_t>(g.window_count));
  auto ids = tokenizer_->Encode(tokenizer::PythonStrip(text));
  ASSERT_TRUE(ids.ok());
  auto windows = SplitWindows(static_cast<int64_t>(ids->size()), 96, 40);
  ASSERT_TRUE(windows.ok());
  EXPECT_EQ(g.window_spans.front().first, 3);  // after "  \n"
  EXPECT_EQ(g.window_spans.back().second, static_cast<int64_t>(text.size() - 3));  // before "  \n"
  for (size_t w = 0; w < g.window_spans.size(); ++w) {
    const auto [b, e] = g.window_spans[w];
    if (w > 0) {
      EXPECT_GT(b, g.window_spans[w - 1].first);
    }
    // The window's tokens decode to its span; a window edge that splits a UTF-8 character
    // between two byte-level tokens decodes to U+FFFD there, and the span keeps the whole char.
    const std::vector<int32_t> want(ids->begin() + (*windows)[w].begin, ids->begin() + (*windows)[w].end);
    std::string dec = tokenizer_->Decode(want, false);
    const std::string bad = "\xEF\xBF\xBD";
    size_t cut_front = 0, cut_back = 0;
    if (dec.starts_with(bad)) dec.erase(0, 3), cut_front = 1;
    if (dec.ends_with(bad)) dec.erase(dec.size() - 3), cut_back = 1;
    const std::string span = text.substr(b, e - b);
    EXPECT_LE(span.size() - dec.size(), 3 * (cut_front + cut_back)) << w;
    EXPECT_NE(span.find(dec), std::string::npos) << w;
    EXPECT_TRUE(cut_front || span.starts_with(dec)) << w;
    EXPECT_TRUE(cut_back || span.ends_with(dec)) << w;
  }
  const auto j = nlohmann::json::parse(GuardResultToJson(g));
  ASSERT_EQ(j["window_spans"].size(), g.window_spans.size());
  EXPECT_EQ(j["window_spans"][1][0].get<int64_t>(), g.window_spans[1].first);
}

TEST_F(GuardE2E, BackgroundScoringInSmallChunksMatchesAndStopsWhenAsked) {
  auto c = Load(96, 40, 0.65, /*background_chunk=*/16);  // a 96-token window runs as 6-7 pieces
  std::vector<std::vector<int32_t>> w = {std::vector<int32_t>(96, 7), std::vector<int32_t>(50, 9)};
  auto fg = c->ScoreWindows(w, false, {});
  auto bg = c->ScoreWindows(w, true, {});
  const Bounds b = MakeBounds(*model_, 600);
  for (size_t k = 0; k < w.size(); ++k) {
    ASSERT_TRUE(fg[k].ok() && bg[k].ok());
    EXPECT_NEAR(fg[k]->p_unsafe, bg[k]->p_unsafe, b.Probability());
  }
  int polls = 0;  // true from the 3rd poll on: two pieces (32 tokens) ran
  auto stopped = c->ScoreWindows(w, true, [&] { return ++polls >= 3; });
  ASSERT_EQ(stopped.size(), 2u);
  for (const auto& v : stopped) EXPECT_EQ(v.status().code(), StatusCode::kCancelled);
  EXPECT_NE(stopped[0].status().message().find("after 32 of"), std::string::npos)
      << stopped[0].status().ToString();
  EXPECT_EQ(polls, 4);  // one more for the second window, which stops before its first piece
}

TEST_F(GuardE2E, BadInputsGetClearErrorsWithoutFailingTheBatch) {
  GuardOptions o;
  o.model = kModelDir;
  o.offline = true;
  o.max_input_tokens = 50;
  auto c = LoadClassifier(o);
  ASSERT_TRUE(c.ok());
  std::vector<ClassifyRequest> reqs = {{"", false},
                                       {" \n\t\u3000 ", false},
                                       {"bad \xff utf8", false},
                                       {std::string(400, 'x') + " many tokens", false},
                                       {"a fine prompt", false}};
  auto r = (*c)->ClassifyBatch(reqs);
  EXPECT_NE(r[0].status().message().find("empty"), std::string::npos) << r[0].status().ToString();
  EXPECT_NE(r[1].status().message().find("empty"), std::string::npos);
  EXPECT_NE(r[2].status().message().find("byte offset 4"), std::string::npos) << r[2].status().ToString();
  EXPECT_NE(r[3].status().message().find("max_input_tokens"), std::string::npos) << r[3].status().ToString();
  EXPECT_TRUE(r[4].ok());
}

TEST_F(GuardE2E, OutOfRangeOptionsAreRejectedBeforeLoading) {
  // Each case breaks one option; the error names it and the value found. The model path does
  // not exist, so only validation (which runs first) can produce these messages.
  struct Case {
    void (*apply)(GuardOptions&);
    const char* name;
    const char* got;
  };
  const Case cases[] = {
      {[](GuardOptions& o) { o.threshold = 1.5; }, "threshold", "1.5"},
      {[](GuardOptions& o) { o.threshold = std::nan(""); }, "threshold", "nan"},
      {[](GuardOptions& o) { o.window_length = 0; }, "window length", "got 0"},
      {[](GuardOptions& o) { o.window_stride = 1201; }, "window stride", "got 1201"},
      {[](GuardOptions& o) { o.threads = -1; }, "threads", "got -1"},
      {[](GuardOptions& o) { o.max_batch = 0; }, "max batch", "got 0"},
      {[](GuardOptions& o) { o.max_input_tokens = 0; }, "max input tokens", "got 0"},
      {[](GuardOptions& o) { o.background_chunk_tokens = -3; }, "background chunk", "got -3"},
  };
  for (const Case& k : cases) {
    GuardOptions o;
    o.model = "/nonexistent/model/dir";
    o.offline = true;
    k.apply(o);
    const auto c = LoadClassifier(o);
    ASSERT_FALSE(c.ok()) << k.name;
    const std::string msg = c.status().ToString();
    EXPECT_NE(msg.find(k.name), std::string::npos) << msg;
    EXPECT_NE(msg.find(k.got), std::string::npos) << msg;
  }
  GuardOptions fine;
  EXPECT_TRUE(ValidateGuardOptions(fine).ok());
}

TEST_F(GuardE2E, ThresholdPolicyAndAttackOverlay) {
  const auto want = ReadJsonl(kDataDir + "/expected_w1200_s256.jsonl");
  // A threshold between the reference's p_unsafe values makes some inputs unsafe.
  auto c = Load(1200, 256, /*threshold=*/0.37);
  const auto inputs = ReadJsonl(kDataDir + "/inputs.jsonl");
  std::vector<ClassifyRequest> reqs;
  for (const auto& in : inputs) reqs.push_back({in["text"].get<std::string>(), false});
  auto got = c->ClassifyBatch(reqs);
  const Bounds b = MakeBounds(*model_, 1700);
  int unsafe = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_TRUE(got[i].ok());
    const GuardResult& g = *got[i];
    const double p = want[i]["p_unsafe"].get<double>();
    if (std::fabs(p - 0.37) > b.Probability()) {
      EXPECT_EQ(g.safety_label == "Unsafe", p >= 0.37) << inputs[i]["id"];
    }
    unsafe += g.safety_label == "Unsafe";
    EXPECT_EQ(g.status, g.safety_label == "Unsafe" ? "HARMFUL" : "HARMLESS");
    EXPECT_EQ(g.action, g.safety_label == "Unsafe" ? "block" : "allow");
    EXPECT_EQ(g.category == "none", g.safety_label == "Safe");
    EXPECT_EQ(g.raw_response, g.safety_label == "Unsafe" ? "Safety: unsafe\nCategory: " + g.category
                                                          : "Safety: safe\nCategory: none");
    EXPECT_DOUBLE_EQ(g.confidence, g.safety_label == "Unsafe" ? g.p_unsafe : g.p_safe);
  }
  EXPECT_GT(unsafe, 0);
  EXPECT_LT(unsafe, static_cast<int>(inputs.size()));
  // The card's injection example: the overlay fires and does not change the verdict.
  EXPECT_EQ(got[2]->attack_overlay, "prompt_injection");
  EXPECT_EQ(got[2]->safety_label == "Unsafe", got[2]->p_unsafe >= 0.37);
  EXPECT_EQ(got[0]->attack_overlay, "none");
}

TEST_F(GuardE2E, GenerateModeDecodesGreedily) {
  auto c = Load(1200, 256);
  auto r = c->ClassifyBatch(std::vector<ClassifyRequest>{{"hello there", true}});
  ASSERT_TRUE(r[0].ok()) << r[0].status().ToString();
  EXPECT_EQ(r[0]->raw_response.rfind("Safety:", 0), 0u) << r[0]->raw_response;
  EXPECT_EQ(r[0]->generated_text, r[0]->raw_response);
}

}  // namespace
}  // namespace haloguard::guard
