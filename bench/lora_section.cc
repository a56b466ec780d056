// Bench section "lora": a PEFT LoRA adapter applied as merged fp32 copies vs the low-rank side
// path vs no adapter, side by side: load seconds, adapter memory, prompt tokens/s (exact mode;
// the three models are loaded together and timed in alternation).
// The adapter is --adapter DIR, or a random rank-16 one on every projection written to a
// temporary directory (timings do not depend on the values).
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "bench/workload.h"
#include "core/clock.h"
#include "model/lora.h"
#include "model/safetensors_writer.h"

namespace haloguard::bench {
namespace {

constexpr int64_t kRank = 16;

bool IsProjection(const std::string& name) {
  for (const char* p : {"_proj.weight", "in_proj_qkv.weight", "in_proj_z.weight", "in_proj_b.weight",
                        "in_proj_a.weight"}) {
    const std::string s(p);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) return true;
  }
  return false;
}

// Writes a random adapter (PEFT layout, F32 factors, "all-linear") for `m` into a new temp dir.
StatusOr<std::string> WriteRandomAdapter(const model::Model& m) {
  std::string tmpl = (getenv("TMPDIR") ? std::string(getenv("TMPDIR")) : "/tmp") + "/hg_bench_lora_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return InternalError("bench lora: cannot create " + tmpl);
  std::ofstream(tmpl + "/adapter_config.json")
      << R"({"peft_type": "LORA", "r": )" << kRank
      << R"(, "lora_alpha": 32, "bias": "none", "target_modules": "all-linear"})";
  std::vector<std::pair<std::string, std::vector<int64_t>>> factors;
  for (const model::WeightSpec& s : model::WeightTable(m.config())) {
    if (s.top_level || !IsProjection(s.name)) continue;
    const std::string key = "base_model.model." + m.weights().prefix + s.name.substr(0, s.name.size() - 7);
    factors.push_back({key + ".lora_A.weight", {kRank, s.shape[1]}});
    factors.push_back({key + ".lora_B.weight", {s.shape[0], kRank}});
  }
  model::SafetensorsWriter w;
  for (const auto& [name, shape] : factors) w.Declare(name, DType::kF32, shape);
  HG_RETURN_IF_ERROR(w.Begin(tmpl + "/" + model::kLoraWeightsFile));
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (const auto& [name, shape] : factors) {
    std::vector<float> v(static_cast<size_t>(shape[0] * shape[1]));
    for (float& x : v) x = normal(rng);
    HG_RETURN_IF_ERROR(w.Write(v.data(), v.size() * sizeof(float)));
  }
  HG_RETURN_IF_ERROR(w.Finish());
  return tmpl;
}

constexpr const char* kWays[] = {"none", "merged", "side_path"};

// Loads the model with the adapter applied one way ("none", "merged", "side_path"); adds its load
// time and adapter memory.
StatusOr<std::unique_ptr<model::Model>> LoadOneWay(BenchEnv& env, Report& r, const std::string& adapter,
                                                   const std::string& way) {
  model::LoadOptions lo;
  lo.quantize_threads = env.options().threads;
  if (way != "none") lo.adapter_dir = adapter;
  lo.adapter_mode = way == "side_path" ? model::AdapterMode::kSidePath : model::AdapterMode::kMerged;
  const int64_t rss0 = CurrentRssBytes();
  const Clock::time_point t0 = Clock::now();
  HG_ASSIGN_OR_RETURN(std::unique_ptr<model::Model> m, model::Model::Load(env.options().model_dir, lo));
  r.Add("lora", way + ".load_seconds", SecondsSince(t0), "s");
  // Resident growth of the load itself (before any forward pages the mapped weights in).
  r.Add("lora", way + ".load_rss_delta_mib", double(CurrentRssBytes() - rss0) / (1 << 20), "MiB");
  r.Add("lora", way + ".adapter_mib", double(m->adapter_bytes()) / (1 << 20), "MiB");
  TimePrefill(*m, env.pool(), TokenIds(64, m->config().vocab_size, 1));  // warm-up: page in
  return m;
}

// Prompt tokens/s of the three models, timed in alternation (run i of each, then run i + 1), so
// drifting load on a shared machine affects them alike; the median of each is reported.
void TimeAlternating(BenchEnv& env, Report& r, const std::vector<std::unique_ptr<model::Model>>& models) {
  const std::vector<int64_t> lens = env.options().quick ? std::vector<int64_t>{64} : std::vector<int64_t>{64, 600};
  for (int64_t T : lens) {
    const std::vector<int32_t> ids = TokenIds(T, models[0]->config().vocab_size, 2);
    std::vector<std::vector<double>> secs(models.size());
    for (int rep = 0; rep < env.options().repeats; ++rep)
      for (size_t i = 0; i < models.size(); ++i) secs[i].push_back(TimePrefill(*models[i], env.pool(), ids));
    for (size_t i = 0; i < models.size(); ++i) {
      const double median = Percentile(secs[i], 0.5);
      r.Add("lora", std::string(kWays[i]) + ".prefill.t" + std::to_string(T) + ".tokens_per_s",
            double(T) / median, "tok/s");
    }
  }
}

}  // namespace

Status LoraSection(BenchEnv& env, Report& r) {
  std::string adapter = env.options().adapter_dir;
  bool temporary = false;
  if (adapter.empty()) {
    HG_ASSIGN_OR_RETURN(const model::Model* base, env.GetModel(model::WeightMode::kExact, r));
    HG_ASSIGN_OR_RETURN(adapter, WriteRandomAdapter(*base));
    temporary = true;
    r.Note("lora", "random adapter: r 16 on every decoder projection (all-linear), F32 factors");
  }
  env.Unload(model::WeightMode::kExact);
  std::vector<std::unique_ptr<model::Model>> models;
  Status s = OkStatus();
  for (const char* way : kWays) {
    StatusOr<std::unique_ptr<model::Model>> m = LoadOneWay(env, r, adapter, way);
    if (!m.ok()) {
      s = m.status();
      break;
    }
    models.push_back(std::move(*m));
  }
  if (temporary) std::filesystem::remove_all(adapter);
  if (s.ok()) TimeAlternating(env, r, models);
  return s;
}

}  // namespace haloguard::bench
