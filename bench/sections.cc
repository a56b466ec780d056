// The bench's section list, in run order. Guard-level sections (classification latency p50/p95
// short/medium/long with and without the prefix cache, classifications/s at concurrency 1/4/16
// through the server's scheduler, tokenizer MB/s, p_unsafe / verdict agreement of int8 on the
// benchmark prompts) go in where GuardPendingSection is, once src/guard, src/server and
// src/tokenizer provide them.
#include "bench/workload.h"

namespace haloguard::bench {

Status Int8AccuracySection(BenchEnv& env, Report& r);
Status KernelsSection(BenchEnv& env, Report& r);

Status GuardPendingSection(BenchEnv& env, Report& r) {
  (void)env;
  r.Note("guard", "classification latency, scheduler throughput, tokenizer MB/s: pending (guard, server "
                  "and tokenizer sections are added in bench/sections.cc)");
  return OkStatus();
}

const std::vector<Section>& Sections() {
  static const std::vector<Section> sections = {
      {"machine", "measured fp32 FMA / int8 VNNI / bf16 peaks and memory bandwidth", MachineSection},
      {"kernels", "hot ops alone: GEMM bf16/int8/GEMV, delta rule recurrent vs chunked, attention, dispatch",
       KernelsSection},
      {"exact", "exact path: prompt tokens/s at T = 64..1200, GFLOP/s vs peak, profile, decode", ExactSection},
      {"batching", "ragged batch vs one by one; forking a cached prefix state", BatchingSection},
      {"memory", "peak RSS vs 1.25 x checkpoint + state budget (exact path)", MemorySection},
      {"int8", "--weights int8: load, prompt tokens/s, profile, decode", Int8Section},
      {"int8_accuracy", "int8 vs exact: logit error, top-1 and binary verdict agreement", Int8AccuracySection},
      {"guard", "guard-level sections (pending)", GuardPendingSection},
  };
  return sections;
}

}  // namespace haloguard::bench
