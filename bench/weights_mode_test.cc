// The --weights option end to end on the tiny checkpoint: guard::GuardOptions::weights reaches the
// model (int8 results differ from exact and say so in dtype), and classify / serve / eval accept
// exact|int8|bf16 and reject anything else with a message naming the flag; bench resolves --model as
// a Hub repo id too.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>

#include "core/testing/shell.h"
#include "guard/guard.h"

namespace haloguard::guard {
namespace {

const std::string kModelDir = std::string(HG_SOURCE_DIR) + "/tests/data/tiny_qwen35";

std::unique_ptr<Classifier> Load(model::WeightMode mode) {
  GuardOptions o;
  o.model = kModelDir;
  o.offline = true;
  o.threads = 2;
  o.weights = mode;
  auto c = LoadClassifier(o);
  HG_CHECK(c.ok()) << c.status().ToString();
  return std::move(*c);
}

// Runs the haloguard binary; returns its exit status and stdout + stderr.
std::pair<int, std::string> RunHaloguard(const std::string& args) {
  test_util::ShellResult r = test_util::RunShell(std::string(HG_BINARY) + " " + args + " 2>&1");
  return {r.code, std::move(r.out)};
}

TEST(WeightsMode, Int8GuardUsesTheInt8ModelAndSaysSo) {
  auto exact = Load(model::WeightMode::kExact);
  auto int8 = Load(model::WeightMode::kInt8);
  EXPECT_EQ(exact->info().dtype, "BF16");
  EXPECT_EQ(int8->info().dtype, "BF16 (int8 weights)");
  const std::vector<ClassifyRequest> reqs = {{"How do I bake sourdough bread at home?", false},
                                             {"Summarise this meeting in three bullet points.", false}};
  auto a = exact->ClassifyBatch(reqs);
  auto b = int8->ClassifyBatch(reqs);
  double max_diff = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    ASSERT_TRUE(a[i].ok() && b[i].ok());
    EXPECT_GE(b[i]->p_unsafe, 0.0);
    EXPECT_LE(b[i]->p_unsafe, 1.0);
    EXPECT_EQ(b[i]->debug.at("dtype"), "BF16 (int8 weights)");
    max_diff = std::max(max_diff, std::fabs(a[i]->p_unsafe - b[i]->p_unsafe));
  }
  // Exact arithmetic would reproduce the exact path to the last bit; int8 rounding cannot.
  EXPECT_GT(max_diff, 0.0);
}

TEST(WeightsMode, CommandsAcceptExactInt8AndBf16Only) {
  const std::string model = "--model " + kModelDir + " --offline";
  auto [rc, out] = RunHaloguard("classify " + model + " --weights int8 'hello there'");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"dtype\":\"BF16 (int8 weights)\""), std::string::npos) << out;
  std::tie(rc, out) = RunHaloguard("classify " + model + " --weights exact 'hello there'");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"dtype\":\"BF16\""), std::string::npos) << out;
  // bf16 says so in dtype where AVX512_BF16 runs, else logs the exact fallback.
  std::tie(rc, out) = RunHaloguard("classify " + model + " --weights bf16 'hello there'");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_TRUE(out.find("\"dtype\":\"BF16 (bf16 compute)\"") != std::string::npos ||
              out.find("no AVX512_BF16; computing exactly") != std::string::npos) << out;
  // eval has no --offline (a local directory never needs the network).
  for (const char* cmd : {"classify --offline 'hi'", "serve --offline --port 0", "eval --data missing.jsonl"}) {
    std::tie(rc, out) = RunHaloguard(std::string(cmd) + " --model " + kModelDir + " --weights int4");
    EXPECT_NE(rc, 0) << cmd;
    EXPECT_NE(out.find("--weights: expected exact, int8 or bf16, got 'int4'"), std::string::npos) << cmd << ": " << out;
  }
}

TEST(BenchCommand, ModelMayBeARepoIdResolvedThroughTheHubCache) {
  // An empty hub cache and --offline: the repo id is resolved (not opened as a directory) and the
  // error says how to get the model.
  const std::string cache = ::testing::TempDir() + "/bench-empty-hub";
  ASSERT_EQ(setenv("HF_HUB_CACHE", cache.c_str(), 1), 0);
  auto [rc, out] = RunHaloguard("bench --model owner/missing-model --offline --quick --sections machine");
  unsetenv("HF_HUB_CACHE");
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("NOT_FOUND"), std::string::npos) << out;
  EXPECT_NE(out.find("haloguard pull owner/missing-model"), std::string::npos) << out;
}

}  // namespace
}  // namespace haloguard::guard
