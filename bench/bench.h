// `haloguard bench`: a benchmark made of named sections, each adding measurements to one Report
// (a table for people, JSON for machines). Model-level sections (model_sections.cc, ...) time the
// decoder alone; guard-level ones (guard_sections.cc, ...) time the classifier that `haloguard
// classify` and `serve` use. The list and order: Sections() in sections.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "guard/result.h"
#include "model/qwen35.h"

namespace haloguard::bench {

struct BenchOptions {
  std::string model_dir;                 // checkpoint (config.json + safetensors)
  int threads = 0;                       // compute threads (0 = all cores)
  bool int8 = true;                      // also measure the --weights int8 mode
  bool exact = true;                     // guard sections: measure the exact mode (int8 only if false)
  bool bf16 = true;                      // also measure --weights bf16 (where AVX512_BF16 runs)
  bool quick = false;                    // fewer sizes and repeats (smoke tests)
  int repeats = 3;                       // timed runs per measurement (the median is reported)
  std::vector<std::string> sections;     // empty = all
  // Guard sections: a JSONL file of prompts ({"text": ...} per line, e.g. a benchmark set read at
  // run time) for the int8-vs-exact verdict comparison; "" = built-in texts.
  std::string prompts_file;
  int64_t prompts_limit = 200;           // prompts read from prompts_file (the first N)
  // tools/tokenizer/bench_hf.js: when set, the tokenizer section runs the HF oracle (node) on
  // the same corpus for a side-by-side MB/s; "" = ours only.
  std::string hf_tokenizer_bench;
  // llama.cpp's llama-bench binary and a GGUF of the same model: when set, the llama_bench section
  // runs it (same prompt length and threads) next to our prefill and reports the ratio.
  std::string llama_bench, gguf;
  // guard_latency input classes to run (short, medium, long1200, long5000); empty = all.
  std::vector<std::string> latency_inputs;
  // Section "lora": a PEFT adapter directory to measure ("" = a random rank-16 one).
  std::string adapter_dir;
};

// One measurement: section, a dotted key ("exact.t600.tokens_per_s"), value and unit.
struct Metric {
  std::string section, key;
  double value = 0;
  std::string unit;
};

class Report {
 public:
  void Add(const std::string& section, const std::string& key, double value, const std::string& unit);
  void Note(const std::string& section, const std::string& text);
  // Last value added under section/key; NaN if none.
  double Get(const std::string& section, const std::string& key) const;
  // The notes of `section` in the order added (a failed section's is "failed: <status>").
  std::vector<std::string> Notes(const std::string& section) const;
  // Human-readable: one block per section, aligned key / value / unit columns.
  std::string Table() const;
  // {"section": {"key": {"nested": value}}, ..., "notes": {"section": [..]}} (dots nest).
  std::string Json() const;

 private:
  std::vector<Metric> metrics_;
  std::vector<std::pair<std::string, std::string>> notes_;
};

// Shared state of one bench run: options, the pool, lazily loaded models and the machine peak.
class BenchEnv {
 public:
  explicit BenchEnv(BenchOptions options);
  const BenchOptions& options() const { return options_; }
  ThreadPool& pool() { return pool_; }
  // Loads (once) the checkpoint in the given weight mode; records load time in `report`.
  StatusOr<const model::Model*> GetModel(model::WeightMode mode, Report& report);
  // Drops a loaded model (its memory) once no later section needs it.
  void Unload(model::WeightMode mode);
  // Loads (once) the guard exactly as `haloguard classify --weights MODE` does
  // (guard::LoadClassifier: checkpoint, tokenizer, prefix cache; offline); records its load time.
  // The model directory must hold tokenizer.json (make-checkpoint --tokenizer).
  StatusOr<guard::Classifier*> GetGuard(model::WeightMode mode, Report& report);
  void UnloadGuard(model::WeightMode mode);

 private:
  BenchOptions options_;
  ThreadPool pool_;
  // Indexed by model::WeightMode.
  std::unique_ptr<model::Model> models_[3];
  std::unique_ptr<guard::Classifier> guards_[3];
};

struct Section {
  const char* name;
  const char* summary;
  Status (*run)(BenchEnv& env, Report& report);
};

// Every section in run order.
const std::vector<Section>& Sections();

// Runs the selected sections (unknown names are INVALID_ARGUMENT); a failing section is recorded
// as a note and the run goes on.
Status RunBench(const BenchOptions& options, Report& report);

// ---- Helpers shared by the section files ----
// Median of `runs` timings of fn() in seconds (callers warm up first where it matters).
template <class Fn>
double MedianSeconds(int runs, Fn&& fn);
// The q-quantile (0..1) of `samples`, linearly interpolated between order statistics; NaN if
// empty.
double Percentile(std::vector<double> samples, double q);
// `s` single-quoted for /bin/sh (embedded quotes escaped).
std::string ShellQuote(const std::string& s);
// "exact", "int8" or "bf16", the metric-key spelling of a weight mode.
const char* ModeName(model::WeightMode mode);
// CPU time of the calling thread (seconds). Single-threaded measurements timed with it are
// robust to other load on the machine (time spent descheduled is not counted), so the bench
// reports them next to the wall-clock figures.
double ThreadCpuSeconds();
// Current and peak resident set size of this process (bytes), from /proc/self/status.
int64_t CurrentRssBytes();
int64_t PeakRssBytes();

}  // namespace haloguard::bench

#include "bench/bench-inl.h"
