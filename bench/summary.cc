// Bench section "summary" (last): the three weight modes side by side from the figures the
// earlier sections of this run measured — prefill tok/s at T = 600 (quick: 256) and its ratio to
// exact, the short request's p50/p95 (40 user tokens, prefix cached), decode, and the ratio to
// llama.cpp's llama-bench when the llama_bench section ran. Measures nothing itself.
#include <cmath>

#include "bench/workload.h"

namespace haloguard::bench {

Status SummarySection(BenchEnv& env, Report& r) {
  const bool quick = env.options().quick;
  const std::string t = quick ? "256" : "600", decode = quick ? "64" : "600";
  const double exact_tps = r.Get("exact", "prefill.t" + t + ".tokens_per_s");
  bool any = false;
  auto put = [&](const std::string& key, double v, const char* unit) {
    if (!std::isfinite(v)) return;
    r.Add("summary", key, v, unit);
    any = true;
  };
  for (const char* mode : {"exact", "int8", "bf16"}) {
    const std::string m = mode;
    const double tps = r.Get(m, "prefill.t" + t + ".tokens_per_s");
    put(m + ".prefill_t" + t + ".tokens_per_s", tps, "tok/s");
    if (m != "exact") put(m + ".prefill_t" + t + ".vs_exact", tps / exact_tps, "x");
    put(m + ".prefill_t" + t + ".vs_llama_cpp", r.Get("llama_bench", m + ".pp" + t + ".vs_llama_cpp"), "x");
    put(m + ".short_cached.p50_ms", r.Get("guard_latency", m + ".short.cached.p50_ms"), "ms");
    put(m + ".short_cached.p95_ms", r.Get("guard_latency", m + ".short.cached.p95_ms"), "ms");
    put(m + ".decode_after" + decode + ".tokens_per_s", r.Get(m, "decode.after" + decode + ".tokens_per_s"), "tok/s");
  }
  if (!any) r.Note("summary", "nothing to summarise: run the exact/int8/bf16 and guard_latency sections");
  return OkStatus();
}

}  // namespace haloguard::bench
