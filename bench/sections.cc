// The bench's section list, in run order: machine peaks, kernels, the decoder alone (exact,
// batching, memory, int8, bf16, llama.cpp's llama-bench), then the guard as `haloguard classify`
// / `serve` run it (tokenizer, latency, scheduler throughput, int8 verdict agreement), and a
// summary of the weight modes side by side.
#include "bench/workload.h"

namespace haloguard::bench {

Status Int8AccuracySection(BenchEnv& env, Report& r);
Status KernelsSection(BenchEnv& env, Report& r);
Status LlamaBenchSection(BenchEnv& env, Report& r);
Status SummarySection(BenchEnv& env, Report& r);
Status LoraSection(BenchEnv& env, Report& r);

const std::vector<Section>& Sections() {
  static const std::vector<Section> sections = {
      {"machine", "measured fp32 FMA / int8 VNNI / bf16 peaks and memory bandwidth", MachineSection},
      {"kernels", "hot ops alone: GEMM bf16/int8/GEMV, delta rule recurrent vs chunked, attention, dispatch",
       KernelsSection},
      {"exact", "exact path: prompt tokens/s at T = 64..1200, GFLOP/s vs peak, profile, decode", ExactSection},
      {"batching", "ragged batch vs one by one; forking a cached prefix state", BatchingSection},
      {"memory", "peak RSS vs 1.25 x checkpoint + state budget (exact path)", MemorySection},
      {"int8", "--weights int8: load, prompt tokens/s, profile, decode", Int8Section},
      {"bf16", "--weights bf16: load, prompt tokens/s, profile, decode (AVX512_BF16 CPUs)", Bf16Section},
      {"llama_bench", "prefill tok/s vs llama.cpp's llama-bench in the same run (--llama-bench PATH --gguf FILE)",
       LlamaBenchSection},
      {"int8_accuracy", "int8 vs exact: logit error, top-1 and binary verdict agreement", Int8AccuracySection},
      {"lora", "LoRA adapter merged vs side path vs none: load s, adapter MiB, prompt tokens/s (--adapter)",
       LoraSection},
      {"tokenizer", "single-thread tokenizer MB/s (and the HF oracle's with --hf-tokenizer-bench)",
       TokenizerSection},
      {"guard_latency", "classification p50/p95: short/medium/long inputs, prefix cache on/off, exact/int8",
       GuardLatencySection},
      {"guard_throughput", "classifications/s with 1, 4, 16 concurrent clients through the batching scheduler",
       GuardThroughputSection},
      {"guard_int8_accuracy", "int8 vs exact through the guard: p_unsafe difference, verdict agreement (--prompts)",
       GuardInt8AccuracySection},
      {"summary", "the weight modes side by side: prefill T=600 (vs exact, vs llama.cpp), short p50/p95, decode",
       SummarySection},
  };
  return sections;
}

}  // namespace haloguard::bench
