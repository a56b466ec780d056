// The llama_bench section against fake llama-bench executables (shell scripts written here) that
// print the shape of llama-bench's `-o json` printer (an array of test objects; field names as in
// llama.cpp tools/llama-bench, values made up), garbage, or fail; and the JSON parser alone.
#include "bench/llama_bench.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace haloguard::bench {
namespace {

// Two tests as llama-bench prints them for `-p 64,600 -n 0` plus a generation test.
std::string FakeJson(double pp600_ts) {
  auto test = [](int n_prompt, int n_gen, double ts) {
    return std::string("  {\n    \"build_commit\": \"abc1234\",\n    \"build_number\": 4242,\n") +
           "    \"cpu_info\": \"Fake CPU\",\n    \"gpu_info\": \"\",\n    \"backends\": \"CPU\",\n" +
           "    \"model_filename\": \"m.gguf\",\n    \"model_type\": \"qwen35 0.8B BF16\",\n" +
           "    \"model_size\": 1504786048,\n    \"model_n_params\": 752393024,\n    \"n_batch\": 2048,\n" +
           "    \"n_ubatch\": 512,\n    \"n_threads\": 2,\n    \"cpu_mask\": \"0x0\",\n    \"cpu_strict\": false,\n" +
           "    \"poll\": 50,\n    \"type_k\": \"f16\",\n    \"type_v\": \"f16\",\n    \"n_gpu_layers\": 99,\n" +
           "    \"n_prompt\": " + std::to_string(n_prompt) + ",\n    \"n_gen\": " + std::to_string(n_gen) + ",\n" +
           "    \"n_depth\": 0,\n    \"test_time\": \"2026-12-06T20:00:00Z\",\n    \"avg_ns\": 1000,\n" +
           "    \"stddev_ns\": 10,\n    \"avg_ts\": " + std::to_string(ts) + ",\n    \"stddev_ts\": 1.5,\n" +
           "    \"samples_ns\": [ 1000, 1000 ],\n    \"samples_ts\": [ " + std::to_string(ts) + ", " +
           std::to_string(ts) + " ]\n  }";
  };
  return "[\n" + test(64, 0, 300.0) + ",\n" + test(600, 0, pp600_ts) + ",\n" + test(0, 16, 20.0) + "\n]\n";
}

TEST(LlamaBench, ParsesThePromptTestOfTheRequestedLength) {
  auto r = ParseLlamaBenchJson(FakeJson(176.5), 600);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(r->avg_ts, 176.5);
  EXPECT_DOUBLE_EQ(r->stddev_ts, 1.5);
  EXPECT_EQ(r->n_threads, 2);
  EXPECT_EQ(r->model_type, "qwen35 0.8B BF16");
  EXPECT_EQ(r->build_commit, "abc1234");
  auto r64 = ParseLlamaBenchJson(FakeJson(176.5), 64);
  ASSERT_TRUE(r64.ok());
  EXPECT_DOUBLE_EQ(r64->avg_ts, 300.0);
}

TEST(LlamaBench, RejectsGarbageAndMissingTestsNamingWhatWasExpected) {
  for (const std::string& bad : {std::string(""), std::string("| model | size |\n| --- | --- |\n"),
                                 std::string("{\"n_prompt\": 600, \"n_gen\": 0, \"avg_ts\": 1}"),
                                 std::string("[{\"n_prompt\": 600, \"n_gen\": 0}]"),
                                 std::string("[{\"n_prompt\": 600, \"n_gen\": 0, \"avg_ts\": \"fast\"}]"),
                                 std::string("[1, 2]"), FakeJson(100.0).substr(0, 200)}) {
    auto r = ParseLlamaBenchJson(bad, 600);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("expected llama-bench -o json"), std::string::npos) << r.status().ToString();
  }
  auto missing = ParseLlamaBenchJson(FakeJson(100.0), 512);  // no pp512 test
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("n_prompt = 512"), std::string::npos);
}

// A temporary directory with fake llama-bench scripts and a stand-in GGUF file.
struct FakeTools {
  std::filesystem::path dir;
  FakeTools() {
    dir = std::filesystem::temp_directory_path() /
          ("hg-llama-bench-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "m.gguf") << "GGUF";
  }
  ~FakeTools() { std::filesystem::remove_all(dir); }
  // An executable /bin/sh script with `body`; returns its path.
  std::string Script(const std::string& name, const std::string& body) const {
    const std::filesystem::path p = dir / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    chmod(p.c_str(), 0755);
    return p.string();
  }
  std::string gguf() const { return (dir / "m.gguf").string(); }
  static inline int counter = 0;
};

BenchOptions QuickExactOptions(const FakeTools& t, const std::string& binary) {
  BenchOptions o;
  o.model_dir = std::string(HG_SOURCE_DIR) + "/tests/data/tiny_qwen35";
  o.quick = true;
  o.repeats = 1;
  o.threads = 2;
  o.int8 = o.bf16 = false;
  o.sections = {"llama_bench"};
  o.llama_bench = binary;
  o.gguf = t.gguf();
  return o;
}

std::string FailureOf(const Report& r) {
  for (const std::string& n : r.Notes("llama_bench"))
    if (n.rfind("failed: ", 0) == 0) return n;
  return "";
}

TEST(LlamaBench, SectionRunsTheBinaryWithOurLengthAndThreadsAndReportsTheRatio) {
  FakeTools t;
  // Prints the JSON only for the exact command line the section must use (quick: 64 tokens).
  const std::string json_file = (t.dir / "out.json").string();
  std::ofstream(json_file) << FakeJson(50.0);
  const std::string bin = t.Script(
      "llama-bench", "echo 'llama-bench: loading model' >&2\n"
                     "[ \"$*\" = \"-m " + t.gguf() + " -p 64 -n 0 -t 2 -r 2 -o json\" ] || "
                     "{ echo \"unexpected args: $*\" >&2; exit 3; }\ncat " + json_file + "\n");
  Report r;
  ASSERT_TRUE(RunBench(QuickExactOptions(t, bin), r).ok());
  EXPECT_EQ(FailureOf(r), "");
  EXPECT_DOUBLE_EQ(r.Get("llama_bench", "llama_cpp.pp64.tokens_per_s"), 300.0);
  const double ours = r.Get("llama_bench", "exact.pp64.tokens_per_s");
  EXPECT_GT(ours, 0.0);
  EXPECT_DOUBLE_EQ(r.Get("llama_bench", "exact.pp64.vs_llama_cpp"), ours / 300.0);
}

TEST(LlamaBench, SectionFailsClearlyOnGarbageAFailingOrAMissingBinary) {
  FakeTools t;
  struct Case {
    std::string binary, want;
  } cases[] = {
      {t.Script("garbage", "echo '| model | t/s |'\n"), "expected llama-bench -o json"},
      {t.Script("fails", "echo 'error: failed to load model' >&2\nexit 1\n"), "exited with status 1"},
      // the failure quotes the end of llama-bench's stderr
      {t.Script("fails2", "echo 'failed to load model x.gguf' >&2\nexit 2\n"), "failed to load model x.gguf"},
      {(t.dir / "no-such-llama-bench").string(), "not an executable file"},
  };
  for (const Case& c : cases) {
    Report r;
    ASSERT_TRUE(RunBench(QuickExactOptions(t, c.binary), r).ok());
    const std::string failure = FailureOf(r);
    EXPECT_NE(failure.find(c.want), std::string::npos) << c.binary << ": " << failure;
    EXPECT_TRUE(std::isnan(r.Get("llama_bench", "exact.pp64.vs_llama_cpp")));
  }
  EXPECT_FALSE(CheckLlamaBenchArgs(t.Script("ok", "exit 0\n"), "").ok());  // --gguf missing
  EXPECT_FALSE(CheckLlamaBenchArgs(t.Script("ok2", "exit 0\n"), (t.dir / "none.gguf").string()).ok());
}

TEST(LlamaBench, SkippedWithANoteWithoutTheFlag) {
  BenchOptions o;
  o.model_dir = std::string(HG_SOURCE_DIR) + "/tests/data/tiny_qwen35";
  o.sections = {"llama_bench"};
  Report r;
  ASSERT_TRUE(RunBench(o, r).ok());
  ASSERT_EQ(r.Notes("llama_bench").size(), 1u);
  EXPECT_NE(r.Notes("llama_bench")[0].find("skipped"), std::string::npos);
}

}  // namespace
}  // namespace haloguard::bench
