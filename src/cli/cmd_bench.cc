// `haloguard bench --model DIR [--json]`: model level (prompt tokens/s, GFLOP/s against the
// measured machine peak, decode, batching, int8 mode and its accuracy cost, load time, peak RSS)
// and guard level (classification latency, scheduler throughput, tokenizer MB/s, int8 verdict
// agreement). Sections and metrics: bench/sections.cc; guide: docs/PERFORMANCE.md.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench/bench.h"
#include "bench/llama_bench.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "hub/hub.h"

namespace haloguard::cli {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

int RunBench(int argc, char** argv) {
  bench::BenchOptions o;
  std::string sections;
  std::string weights = "all", json_out, latency_inputs;
  bool json = false, list = false, no_int8 = false, offline = false;
  int64_t threads = 0, repeats = 3;
  FlagSet flags("bench", "--model DIR [--json] [--quick] [--sections a,b] [--weights all|both|exact|int8|bf16] [--threads N]");
  flags.RefusePositional();
  flags.String("model", &o.model_dir,
               "checkpoint directory or Hub repo id (pulled on first use); guard sections need its tokenizer");
  flags.Bool("json", &json, "print JSON instead of the table");
  flags.String("json-out", &json_out, "also write the JSON report to this file");
  flags.Bool("quick", &o.quick, "fewer sizes and repeats (smoke test)");
  flags.String("sections", &sections, "comma-separated sections to run (default: all; see --list)");
  flags.Bool("list", &list, "list the sections and exit");
  flags.Bool("no-int8", &no_int8, "skip the int8 weight mode (same as --weights exact)");
  flags.String("weights", &weights, "weight modes to measure: all (exact, int8, bf16), both (exact and int8), "
                                    "exact, int8 or bf16 (int8 alone skips the int8-vs-exact comparisons)");
  flags.String("prompts", &o.prompts_file, "JSONL prompts ({\"text\": ...}) for the int8-vs-exact verdict check");
  flags.Int("prompts-limit", &o.prompts_limit, "prompts read from --prompts (the first N)");
  flags.String("hf-tokenizer-bench", &o.hf_tokenizer_bench,
               "tools/tokenizer/bench_hf.js: also time the HF tokenizers oracle (node) on the same corpus");
  flags.String("llama-bench", &o.llama_bench,
               "llama.cpp's llama-bench binary: also run it (-p 600 -n 0, same threads, -o json) and print our "
               "prefill tok/s over its (section llama_bench; needs --gguf)");
  flags.String("gguf", &o.gguf, "GGUF file of the same model for --llama-bench");
  flags.String("latency-inputs", &latency_inputs,
               "guard_latency input classes, comma-separated: short, medium, long1200, long5000 (default: all)");
  flags.Int("threads", &threads, "compute threads (0 = all cores)");
  flags.Bool("offline", &offline, "never touch the network when resolving --model");
  std::string adapter;
  flags.String("adapter", &adapter, "PEFT LoRA adapter (directory or Hub repo id) for the lora section "
                                    "(default: a random rank-16 one)");
  flags.Int("repeats", &repeats, "timed runs per measurement; the median is reported");
  int rc = 0;
  if (!ParseOrExit(flags, argc, argv, &rc)) return rc;
  if (list) {
    for (const bench::Section& s : bench::Sections()) std::printf("%-14s %s\n", s.name, s.summary);
    return 0;
  }
  const bool weights_ok =
      weights == "all" || weights == "both" || weights == "exact" || weights == "int8" || weights == "bf16";
  if (o.model_dir.empty() || repeats < 1 || threads < 0 || o.prompts_limit < 1 || !weights_ok) {
    std::fprintf(stderr,
                 "haloguard bench: expected --model DIR, --repeats >= 1, --threads >= 0, --prompts-limit >= 1, "
                 "--weights all|both|exact|int8|bf16 (got '%s')\n%s",
                 weights.c_str(), flags.UsageHint().c_str());
    return 2;
  }
  o.latency_inputs = SplitCommas(latency_inputs);
  for (const std::string& in : o.latency_inputs) {
    if (in != "short" && in != "medium" && in != "long1200" && in != "long5000") {
      std::fprintf(stderr, "haloguard bench: --latency-inputs: expected short, medium, long1200 or long5000, got '%s'\n",
                   in.c_str());
      return 2;
    }
  }
  if (!o.llama_bench.empty() || !o.gguf.empty()) {
    const Status st = o.llama_bench.empty() ? InvalidArgumentError("--gguf is only used with --llama-bench PATH")
                                            : bench::CheckLlamaBenchArgs(o.llama_bench, o.gguf);
    if (!st.ok()) {
      std::fprintf(stderr, "haloguard bench: %s\n", st.message().c_str());
      return 2;
    }
  }
  hub::PullOptions pull;
  pull.offline = offline;
  const StatusOr<hub::ResolvedModel> resolved = hub::ResolveModelArg(o.model_dir, pull);
  if (!resolved.ok()) {
    std::fprintf(stderr, "haloguard bench: --model: %s\n", resolved.status().ToString().c_str());
    return 2;
  }
  o.model_dir = resolved->dir;
  if (!adapter.empty()) {
    const StatusOr<hub::ResolvedModel> ad = hub::ResolveAdapterArg(adapter, pull);
    if (!ad.ok()) {
      std::fprintf(stderr, "haloguard bench: --adapter: %s\n", ad.status().ToString().c_str());
      return 2;
    }
    o.adapter_dir = ad->dir;
  }
  o.threads = static_cast<int>(threads);
  o.repeats = o.quick ? 1 : static_cast<int>(repeats);
  o.int8 = !no_int8 && (weights == "all" || weights == "both" || weights == "int8");
  o.exact = weights == "all" || weights == "both" || weights == "exact";
  o.bf16 = weights == "all" || weights == "bf16";
  o.sections = SplitCommas(sections);
  bench::Report report;
  const Status s = bench::RunBench(o, report);
  if (!s.ok()) return ReportError("bench", s, 2);
  std::printf("%s\n", json ? report.Json().c_str() : report.Table().c_str());
  for (const std::string& note : report.Notes("llama_bench")) {
    if (!o.llama_bench.empty() && note.rfind("failed: ", 0) == 0) {
      std::fprintf(stderr, "haloguard bench: --llama-bench %s\n", note.c_str());
      return 1;
    }
  }
  if (!json_out.empty()) {
    std::ofstream f(json_out);
    f << report.Json() << "\n";
    if (!f) {
      std::fprintf(stderr, "haloguard bench: cannot write --json-out '%s'\n", json_out.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
HG_REGISTER_COMMAND("bench", "measure prompt tokens/s, GFLOP/s vs machine peak, int8 cost, memory",
                    RunBench);
}  // namespace haloguard::cli
