// End-to-end smoke run of `haloguard bench --quick` on a tiny random checkpoint: every section
// runs and reports its headline metrics with sane values (label `slow`: it spends ~2 s on the
// machine-peak loops).
#include <gtest/gtest.h>

#include <cmath>

#include "bench/bench.h"
#include "model/test_util.h"

namespace haloguard::bench {
namespace {

TEST(BenchSmoke, QuickRunOnTinyCheckpointReportsEverySection) {
  BenchOptions o;
  o.model_dir = model::testing::MakeCheckpoint("tiny_gqa", 9);
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
  EXPECT_EQ(r.Json().find("failed"), std::string::npos) << r.Json();
}

}  // namespace
}  // namespace haloguard::bench
