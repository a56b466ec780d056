// Bench sections "tokenizer" (single-thread encode MB/s of our tokenizer, and of the HF oracle on
// the same corpus when --hf-tokenizer-bench is given) and "guard_int8_accuracy" (the int8 weight
// mode against the exact path through the whole guard: p_unsafe difference, verdict and category
// agreement on the --prompts file, e.g. a benchmark set read at run time).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "bench/guard_workload.h"
#include "bench/workload.h"
#include "core/clock.h"
#include "tokenizer/bench.h"
#include "tokenizer/tokenizer.h"

namespace haloguard::bench {
namespace {

using model::WeightMode;

// Writes `corpus` as JSONL strings to a fresh temporary file; returns its path.
StatusOr<std::string> WriteCorpus(const std::vector<std::string>& corpus) {
  std::string path = (std::filesystem::temp_directory_path() / "hg-bench-corpus-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) return InternalError("bench: tokenizer; cannot create a temporary corpus file");
  close(fd);
  std::ofstream out(path, std::ios::binary);
  for (const std::string& s : corpus) out << nlohmann::json(s).dump() << "\n";
  if (!out) return InternalError("bench: tokenizer; cannot write " + path);
  return path;
}

// Runs tools/tokenizer/bench_hf.js (node, one rayon thread) on the corpus and adds its MB/s.
Status HfTokenizerBench(const BenchOptions& o, const std::vector<std::string>& corpus, double seconds,
                        Report& r) {
  HG_ASSIGN_OR_RETURN(std::string corpus_path, WriteCorpus(corpus));
  const std::string config = o.model_dir + "/tokenizer_config.json";
  const std::string cmd = "RAYON_NUM_THREADS=1 node " + ShellQuote(o.hf_tokenizer_bench) + " " +
                          ShellQuote(o.model_dir + "/tokenizer.json") + " " +
                          ShellQuote(std::filesystem::exists(config) ? config : "") + " " +
                          ShellQuote(corpus_path) + " " + std::to_string(seconds) + " 2>&1";
  std::string output;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) output.append(buf, n);
    pclose(p);
  }
  std::filesystem::remove(corpus_path);
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(R"(encodeBatch ([0-9.]+) MB/s, encode ([0-9.]+) MB/s)"))) {
    return UnavailableError("bench: tokenizer; expected bench_hf.js to print 'encodeBatch X MB/s, encode Y MB/s', "
                            "got: " + output.substr(0, 300));
  }
  const double batch = std::stod(m[1].str()), single = std::stod(m[2].str());
  r.Add("tokenizer", "hf.encode_batch_mb_per_s", batch, "MB/s");
  r.Add("tokenizer", "hf.encode_mb_per_s", single, "MB/s");
  r.Add("tokenizer", "haloguard_vs_hf_batch", r.Get("tokenizer", "haloguard.mb_per_s") / batch, "x");
  return OkStatus();
}

struct Verdicts {
  std::vector<double> p_unsafe;
  std::vector<std::string> label;  // "Safe: none" / "Unsafe: <category>"
  std::vector<bool> ok;
  double seconds = 0;
};

Verdicts ClassifyAll(guard::Classifier& c, const std::vector<std::string>& texts) {
  Verdicts v;
  const Clock::time_point t0 = Clock::now();
  for (size_t start = 0; start < texts.size(); start += 16) {
    std::vector<guard::ClassifyRequest> reqs;
    for (size_t i = start; i < std::min(texts.size(), start + 16); ++i) reqs.push_back({texts[i], false});
    for (StatusOr<guard::GuardResult>& g : c.ClassifyBatch(reqs)) {
      v.ok.push_back(g.ok());
      v.p_unsafe.push_back(g.ok() ? g->p_unsafe : NAN);
      v.label.push_back(g.ok() ? g->safety_label + ": " + g->category : "");
    }
  }
  v.seconds = SecondsSince(t0);
  return v;
}

StatusOr<std::vector<std::string>> AccuracyPrompts(BenchEnv& env, guard::Classifier& c, Report& r) {
  const BenchOptions& o = env.options();
  if (!o.prompts_file.empty()) {
    r.Note("guard_int8_accuracy", "prompts: the first " + std::to_string(o.prompts_limit) + " of " + o.prompts_file);
    return ReadPrompts(o.prompts_file, o.prompts_limit);
  }
  r.Note("guard_int8_accuracy", "prompts: built-in prose of 8..400 tokens (pass --prompts FILE.jsonl for a "
                                "benchmark set)");
  std::vector<std::string> texts;
  for (int i = 0; i < (o.quick ? 4 : 32); ++i) {
    HG_ASSIGN_OR_RETURN(std::string t, TextOfTokens(c, 8 + (i * 53) % 393, i));
    texts.push_back(std::move(t));
  }
  return texts;
}

}  // namespace

Status TokenizerSection(BenchEnv& env, Report& r) {
  const BenchOptions& o = env.options();
  const Clock::time_point t0 = Clock::now();
  HG_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::LoadFromDir(o.model_dir));
  r.Add("tokenizer", "load_seconds", SecondsSince(t0), "s");
  const std::vector<std::string> corpus = TokenizerCorpus(o.quick ? 20000 : 1000000);
  int64_t bytes = 0;
  for (const std::string& s : corpus) bytes += static_cast<int64_t>(s.size());
  const double seconds = o.quick ? 0.2 : 4.0;
  const tokenizer::BenchResult b = tokenizer::BenchTokenizer(tok, corpus, seconds);
  r.Add("tokenizer", "corpus_mb", double(bytes) / 1e6, "MB");
  r.Add("tokenizer", "haloguard.mb_per_s", b.mb_per_s, "MB/s");
  r.Add("tokenizer", "haloguard.tokens_per_s", b.tokens_per_s, "tok/s");
  r.Add("tokenizer", "haloguard.cold_cache_mb_per_s", b.cold_mb_per_s, "MB/s");
  r.Add("tokenizer", "bytes_per_token", double(b.bytes) / double(std::max<int64_t>(1, b.tokens)), "B");
  if (!o.hf_tokenizer_bench.empty()) HG_RETURN_IF_ERROR(HfTokenizerBench(o, corpus, seconds / 2, r));
  r.Note("tokenizer", "one thread, warm word cache (cold: a new thread per pass); corpus: generated mixed text "
                      "(prose, code, URLs, numbers, 5 scripts, emoji)");
  return OkStatus();
}

Status GuardInt8AccuracySection(BenchEnv& env, Report& r) {
  if (!env.options().int8 || !env.options().exact) return OkStatus();
  HG_ASSIGN_OR_RETURN(guard::Classifier * exact, env.GetGuard(WeightMode::kExact, r));
  HG_ASSIGN_OR_RETURN(std::vector<std::string> prompts, AccuracyPrompts(env, *exact, r));
  const Verdicts a = ClassifyAll(*exact, prompts);
  HG_ASSIGN_OR_RETURN(guard::Classifier * int8, env.GetGuard(WeightMode::kInt8, r));
  const Verdicts b = ClassifyAll(*int8, prompts);
  double max_d = 0, sum_d = 0;
  int64_t n = 0, verdict = 0, label = 0, unsafe_a = 0, unsafe_b = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (!a.ok[i] || !b.ok[i]) continue;
    ++n;
    const double d = std::fabs(a.p_unsafe[i] - b.p_unsafe[i]);
    max_d = std::max(max_d, d);
    sum_d += d;
    const bool ua = a.label[i].rfind("Unsafe", 0) == 0, ub = b.label[i].rfind("Unsafe", 0) == 0;
    verdict += ua == ub;
    label += a.label[i] == b.label[i];
    unsafe_a += ua;
    unsafe_b += ub;
  }
  const double dn = double(std::max<int64_t>(1, n));
  r.Add("guard_int8_accuracy", "prompts", double(n), "");
  r.Add("guard_int8_accuracy", "failed", double(prompts.size()) - double(n), "");
  r.Add("guard_int8_accuracy", "max_abs_p_unsafe_difference", max_d, "");
  r.Add("guard_int8_accuracy", "mean_abs_p_unsafe_difference", sum_d / dn, "");
  r.Add("guard_int8_accuracy", "verdict_agreement", double(verdict) / dn, "");
  r.Add("guard_int8_accuracy", "verdict_and_category_agreement", double(label) / dn, "");
  r.Add("guard_int8_accuracy", "exact.unsafe_fraction", double(unsafe_a) / dn, "");
  r.Add("guard_int8_accuracy", "int8.unsafe_fraction", double(unsafe_b) / dn, "");
  r.Add("guard_int8_accuracy", "exact.prompts_per_s", double(prompts.size()) / a.seconds, "1/s");
  r.Add("guard_int8_accuracy", "int8.prompts_per_s", double(prompts.size()) / b.seconds, "1/s");
  return OkStatus();
}

}  // namespace haloguard::bench
