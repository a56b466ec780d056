// Bench sections "guard_latency" (one classification end to end through the classifier that
// `haloguard classify` builds: tokenize, windows, prefix-cached scoring, categories, policy) and
// "guard_throughput" (classifications/s with 1, 4 and 16 concurrent clients through the server's
// batching Scheduler, in process, no sockets).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <future>
#include <thread>

#include "bench/guard_workload.h"
#include "bench/workload.h"
#include "kernels/kernels.h"
#include "core/clock.h"
#include "server/metrics.h"
#include "server/scheduler.h"

namespace haloguard::bench {
namespace {

using model::WeightMode;

std::vector<WeightMode> Modes(const BenchEnv& env) {
  std::vector<WeightMode> modes;
  if (env.options().exact) modes.push_back(WeightMode::kExact);
  if (env.options().int8) modes.push_back(WeightMode::kInt8);
  if (env.options().bf16 && kernels::Bf16ComputeSupported()) modes.push_back(WeightMode::kBf16);
  return modes;
}

// One input class of the latency section.
struct InputClass {
  const char* name;
  int64_t tokens;  // user-text tokens
};
constexpr InputClass kInputs[] = {{"short", 40}, {"medium", 300}, {"long1200", 1200}, {"long5000", 5000}};

// How many timed runs a case gets: at least `min_runs`, then more while under `budget_s` seconds
// in total, at most `max_runs`. Long inputs (tens of seconds each on 2 cores) get one run unless
// --repeats asks for more; short ones get up to 20 for a meaningful p95.
struct RunPlan {
  int min_runs, max_runs;
  double budget_s;
};

RunPlan PlanFor(const BenchOptions& o, int64_t tokens) {
  if (o.quick) return {1, 1, 0};
  if (tokens > 1200) return {1, std::max(1, o.repeats), 60};
  return {std::max(1, o.repeats), 20, 15};
}

// What one result says about the work done.
struct GuardResultFacts {
  int64_t prompt_tokens = 0, windows = 0, tokens_processed = 0;
};

GuardResultFacts FactsOf(const guard::GuardResult& g) {
  GuardResultFacts f;
  f.prompt_tokens = g.prompt_tokens;
  f.windows = g.window_count;
  const auto it = g.debug.find("tokens_processed");
  if (it != g.debug.end()) f.tokens_processed = std::strtoll(it->second.c_str(), nullptr, 10);
  return f;
}

struct Samples {
  std::vector<double> seconds;
  GuardResultFacts facts;
};

Status TimeClassify(guard::Classifier& c, const std::string& text, const RunPlan& plan, Samples* out) {
  const guard::ClassifyRequest req{text, false};
  const Clock::time_point start = Clock::now();
  while (static_cast<int>(out->seconds.size()) < plan.max_runs &&
         (static_cast<int>(out->seconds.size()) < plan.min_runs || SecondsSince(start) < plan.budget_s)) {
    const Clock::time_point t0 = Clock::now();
    std::vector<StatusOr<guard::GuardResult>> r = c.ClassifyBatch(std::span<const guard::ClassifyRequest>(&req, 1));
    out->seconds.push_back(SecondsSince(t0));
    if (!r[0].ok()) return r[0].status().WithPrefix("bench: classify");
    out->facts = FactsOf(*r[0]);
  }
  return OkStatus();
}

void AddLatency(Report& r, const std::string& key, const Samples& s) {
  r.Add("guard_latency", key + ".p50_ms", Percentile(s.seconds, 0.5) * 1e3, "ms");
  r.Add("guard_latency", key + ".p95_ms", Percentile(s.seconds, 0.95) * 1e3, "ms");
  r.Add("guard_latency", key + ".runs", double(s.seconds.size()), "");
  r.Add("guard_latency", key + ".tokens_processed", double(s.facts.tokens_processed), "tok");
}

// Every input class through one classifier pair (prefix cache on, off) in one weight mode.
Status LatencyForMode(BenchEnv& env, Report& r, WeightMode mode) {
  HG_ASSIGN_OR_RETURN(guard::Classifier * cached, env.GetGuard(mode, r));
  HG_ASSIGN_OR_RETURN(const model::Model* m, env.GetModel(mode, r));
  HG_ASSIGN_OR_RETURN(std::unique_ptr<guard::Classifier> uncached,
                      UncachedGuard(*m, env.pool(), env.options().model_dir));
  const std::string tag = ModeName(mode);
  HG_ASSIGN_OR_RETURN(std::string warm, TextOfTokens(*cached, 40, 99));
  Samples ignored;
  HG_RETURN_IF_ERROR(TimeClassify(*cached, warm, {1, 1, 0}, &ignored));
  HG_RETURN_IF_ERROR(TimeClassify(*uncached, warm, {1, 1, 0}, &ignored));
  const std::vector<std::string>& only = env.options().latency_inputs;
  for (const InputClass& in : kInputs) {
    if (!only.empty() && std::find(only.begin(), only.end(), in.name) == only.end()) continue;
    HG_ASSIGN_OR_RETURN(std::string text, TextOfTokens(*cached, in.tokens));
    const RunPlan plan = PlanFor(env.options(), in.tokens);
    Samples on, off;
    HG_RETURN_IF_ERROR(TimeClassify(*cached, text, plan, &on));
    HG_RETURN_IF_ERROR(TimeClassify(*uncached, text, plan, &off));
    const std::string key = tag + "." + in.name;
    r.Add("guard_latency", key + ".user_tokens", double(on.facts.prompt_tokens), "tok");
    r.Add("guard_latency", key + ".windows", double(on.facts.windows), "");
    AddLatency(r, key + ".cached", on);
    AddLatency(r, key + ".uncached", off);
    r.Add("guard_latency", key + ".cache_speedup", Percentile(off.seconds, 0.5) / Percentile(on.seconds, 0.5), "x");
  }
  return OkStatus();
}

// ---- Throughput through the scheduler ----

struct LoadResult {
  int64_t completed = 0, failed = 0;
  double seconds = 0;
  std::vector<double> latency;  // per request, seconds
  double mean_batch = 0;
};

// One closed-loop client: submits a request, waits for its answer, repeats until `stop`.
void Client(server::Scheduler& s, const std::vector<std::string>& texts, size_t first, const std::atomic<bool>& stop,
            std::atomic<int64_t>& completed, std::atomic<int64_t>& failed, std::vector<double>& latency) {
  for (size_t k = first; !stop.load(); k += 7) {
    auto done = std::make_shared<std::promise<bool>>();
    std::future<bool> answer = done->get_future();
    const Clock::time_point t0 = Clock::now();
    const Status st = s.Submit({{texts[k % texts.size()], false}}, Clock::now() + std::chrono::minutes(30),
                               [done](std::vector<StatusOr<guard::GuardResult>> r) { done->set_value(r[0].ok()); });
    const bool ok = st.ok() && answer.get();
    latency.push_back(SecondsSince(t0));
    (ok ? completed : failed).fetch_add(1);
  }
}

// `clients` concurrent closed-loop clients for at least `min_s` seconds and 2 requests each.
LoadResult RunLoad(guard::Classifier& c, const std::vector<std::string>& texts, int clients, double min_s) {
  server::Histogram batch_size({1, 2, 4, 8, 16, 32});
  server::SchedulerOptions so;  // serve's defaults: max_batch 16, 5 ms batch timeout, one loop
  server::Scheduler sched(&c, so, {&batch_size, nullptr, nullptr, nullptr});
  std::atomic<bool> stop{false};
  std::atomic<int64_t> completed{0}, failed{0};
  std::vector<std::vector<double>> latency(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < clients; ++i)
    threads.emplace_back(Client, std::ref(sched), std::cref(texts), size_t(i), std::cref(stop), std::ref(completed),
                         std::ref(failed), std::ref(latency[size_t(i)]));
  while (SecondsSince(t0) < min_s || completed.load() + failed.load() < 2 * clients)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop.store(true);
  for (std::thread& t : threads) t.join();
  LoadResult out;
  out.seconds = SecondsSince(t0);
  out.completed = completed.load();
  out.failed = failed.load();
  for (const auto& l : latency) out.latency.insert(out.latency.end(), l.begin(), l.end());
  const double batches = double(batch_size.CumulativeCounts().back());
  out.mean_batch = batches > 0 ? batch_size.sum() / batches : 0;
  return out;
}

}  // namespace

Status GuardLatencySection(BenchEnv& env, Report& r) {
  for (WeightMode mode : Modes(env)) HG_RETURN_IF_ERROR(LatencyForMode(env, r, mode));
  r.Note("guard_latency", "one request per ClassifyBatch call, as `haloguard classify TEXT` makes it; cached = "
                          "the loaded guard (prefix state forked per window), uncached = the same classifier "
                          "running the system prompt for every window; long inputs are windowed 1200/256");
  return OkStatus();
}

Status GuardThroughputSection(BenchEnv& env, Report& r) {
  for (WeightMode mode : Modes(env)) {
    HG_ASSIGN_OR_RETURN(guard::Classifier * c, env.GetGuard(mode, r));
    std::vector<std::string> texts;
    for (int v = 0; v < 32; ++v) {
      HG_ASSIGN_OR_RETURN(std::string t, TextOfTokens(*c, 40, v));
      texts.push_back(std::move(t));
    }
    for (int clients : {1, 4, 16}) {
      const LoadResult l = RunLoad(*c, texts, clients, env.options().quick ? 0.0 : 10.0);
      if (l.failed > 0) return InternalError("bench: guard_throughput; " + std::to_string(l.failed) + " requests failed");
      const std::string key = std::string(ModeName(mode)) + ".c" + std::to_string(clients);
      r.Add("guard_throughput", key + ".classifications_per_s", double(l.completed) / l.seconds, "1/s");
      r.Add("guard_throughput", key + ".latency_p50_ms", Percentile(l.latency, 0.5) * 1e3, "ms");
      r.Add("guard_throughput", key + ".latency_p95_ms", Percentile(l.latency, 0.95) * 1e3, "ms");
      r.Add("guard_throughput", key + ".mean_batch", l.mean_batch, "");
      r.Add("guard_throughput", key + ".requests", double(l.completed), "");
    }
  }
  r.Note("guard_throughput", "short inputs (40 user tokens); closed-loop clients in process through "
                             "server::Scheduler with serve's defaults (max batch 16, 5 ms batch timeout)");
  return OkStatus();
}

}  // namespace haloguard::bench
