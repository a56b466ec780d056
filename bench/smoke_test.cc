// End-to-end smoke run of `haloguard bench --quick` on the tiny checkpoint with its tokenizer
// (tests/data/tiny_qwen35): every section runs and reports its headline metrics with sane values
// (label `slow`: it spends ~2 s on the machine-peak loops).
#include <gtest/gtest.h>

#include <cmath>

#include "bench/bench.h"

namespace haloguard::bench {
namespace {

TEST(BenchSmoke, QuickRunOnTinyCheckpointReportsEverySection) {
  BenchOptions o;
  o.model_dir = std::string(HG_SOURCE_DIR) + "/tests/data/tiny_qwen35";
  o.quick = true;
  o.repeats = 1;
  o.threads = 2;
  Report r;
  ASSERT_TRUE(RunBench(o, r).ok());
  for (const char* key : {"prefill.t64.tokens_per_s", "prefill.t256.gflops", "decode.after64.tokens_per_s"}) {
    EXPECT_GT(r.Get("exact", key), 0.0) << key;
    EXPECT_GT(r.Get("int8", key), 0.0) << key;
  }
  EXPECT_GT(r.Get("machine", "memory_read.gbs"), 0.0);
  EXPECT_GT(r.Get("batching", "ragged_batch.tokens_per_s"), 0.0);
  EXPECT_GT(r.Get("memory", "peak_rss_mib"), 0.0);
  EXPECT_GE(r.Get("int8_accuracy", "top1_agreement"), 0.0);
  EXPECT_LE(r.Get("int8_accuracy", "top1_agreement"), 1.0);
  EXPECT_GT(r.Get("load", "int8.weight_copy_mib"), 0.0);
  EXPECT_GT(r.Get("tokenizer", "haloguard.mb_per_s"), 0.0);
  for (const char* mode : {"exact", "int8"}) {
    const std::string m = mode;
    for (const char* in : {"short", "medium", "long1200", "long5000"}) {
      for (const char* cache : {"cached", "uncached"}) {
        const std::string key = m + "." + in + "." + cache;
        EXPECT_GT(r.Get("guard_latency", key + ".p50_ms"), 0.0) << key;
        EXPECT_GE(r.Get("guard_latency", key + ".p95_ms"), r.Get("guard_latency", key + ".p50_ms")) << key;
      }
    }
    // The inputs have the token counts they are named after; 5000 tokens make 16 windows of 1200/256.
    EXPECT_EQ(r.Get("guard_latency", m + ".short.user_tokens"), 40);
    EXPECT_EQ(r.Get("guard_latency", m + ".long5000.user_tokens"), 5000);
    EXPECT_EQ(r.Get("guard_latency", m + ".long5000.windows"), 16);
    // Without the cache every window also runs the system prompt.
    EXPECT_GT(r.Get("guard_latency", m + ".short.uncached.tokens_processed"),
              r.Get("guard_latency", m + ".short.cached.tokens_processed"));
    for (const char* c : {"c1", "c4", "c16"}) {
      EXPECT_GT(r.Get("guard_throughput", m + "." + c + ".classifications_per_s"), 0.0) << m << c;
    }
    // 16 closed-loop clients keep the scheduler's batches fuller than one client can.
    EXPECT_EQ(r.Get("guard_throughput", m + ".c1.mean_batch"), 1);
    EXPECT_GT(r.Get("guard_throughput", m + ".c16.mean_batch"), 1);
  }
  EXPECT_GT(r.Get("guard_int8_accuracy", "prompts"), 0.0);
  EXPECT_EQ(r.Get("guard_int8_accuracy", "failed"), 0.0);
  EXPECT_GE(r.Get("guard_int8_accuracy", "verdict_agreement"), 0.0);
  EXPECT_LE(r.Get("guard_int8_accuracy", "verdict_agreement"), 1.0);
  // The modes side by side; llama.cpp only with --llama-bench.
  for (const char* key : {"exact.prefill_t256.tokens_per_s", "int8.prefill_t256.vs_exact", "exact.short_cached.p50_ms",
                          "int8.short_cached.p95_ms"}) {
    EXPECT_GT(r.Get("summary", key), 0.0) << key;
  }
  ASSERT_FALSE(r.Notes("llama_bench").empty());
  EXPECT_NE(r.Notes("llama_bench")[0].find("skipped"), std::string::npos);
  EXPECT_EQ(r.Json().find("failed:"), std::string::npos) << r.Json();
}

}  // namespace
}  // namespace haloguard::bench
