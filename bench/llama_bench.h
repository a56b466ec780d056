// Bench section "llama_bench": runs the user's llama.cpp `llama-bench` binary on a GGUF of the same
// model (prompt processing only, our thread count and prompt length, `-o json`) next to our own
// prefill of the same length in each weight mode, and reports the ratio. Nothing is downloaded.
#pragma once

#include <cstdint>
#include <string>

#include "bench/bench.h"

namespace haloguard::bench {

// One llama-bench result (the fields of its JSON printer that the section reports).
struct LlamaBenchResult {
  double avg_ts = 0, stddev_ts = 0;  // tokens/s over its repetitions
  int64_t n_threads = 0;
  std::string model_type, cpu_info, build_commit;
};

// Parses the stdout of `llama-bench -o json` (a JSON array of test objects) and returns the
// prompt-processing test of `n_prompt` tokens (n_prompt == n_prompt, n_gen == 0).
// INVALID_ARGUMENT naming what was expected and quoting what was found otherwise.
StatusOr<LlamaBenchResult> ParseLlamaBenchJson(const std::string& out, int64_t n_prompt);

// The command line the section runs (-m GGUF -p N -n 0 -t THREADS -r REPEATS -o json).
std::string LlamaBenchCommand(const std::string& binary, const std::string& gguf, int64_t n_prompt,
                              int threads, int repeats);

// Checks that `binary` is an executable file and `gguf` a readable file (clear errors for the
// command line, before any measurement runs).
Status CheckLlamaBenchArgs(const std::string& binary, const std::string& gguf);

Status LlamaBenchSection(BenchEnv& env, Report& r);

}  // namespace haloguard::bench
