// Bench runner: options, lazily loaded models, the report (table + JSON), RSS probes.
#include "bench/bench.h"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/clock.h"
#include "guard/guard.h"

namespace haloguard::bench {

void Report::Add(const std::string& section, const std::string& key, double value,
                 const std::string& unit) {
  metrics_.push_back({section, key, value, unit});
}

void Report::Note(const std::string& section, const std::string& text) { notes_.emplace_back(section, text); }

double Report::Get(const std::string& section, const std::string& key) const {
  for (auto it = metrics_.rbegin(); it != metrics_.rend(); ++it)
    if (it->section == section && it->key == key) return it->value;
  return NAN;
}

std::vector<std::string> Report::Notes(const std::string& section) const {
  std::vector<std::string> out;
  for (const auto& [s, text] : notes_)
    if (s == section) out.push_back(text);
  return out;
}

std::string Report::Table() const {
  std::ostringstream os;
  std::string section;
  size_t width = 0;
  for (const Metric& m : metrics_) width = std::max(width, m.key.size());
  for (const Metric& m : metrics_) {
    if (m.section != section) {
      section = m.section;
      os << "\n== " << section << " ==\n";
    }
    char value[64];
    std::snprintf(value, sizeof(value), std::fabs(m.value) >= 1e5 || m.value == std::floor(m.value) ? "%.0f" : "%.4g", m.value);
    os << "  " << m.key << std::string(width + 2 - m.key.size(), ' ') << value << " " << m.unit << "\n";
  }
  if (!notes_.empty()) os << "\n== notes ==\n";
  for (const auto& [sec, text] : notes_) os << "  [" << sec << "] " << text << "\n";
  return os.str();
}

std::string Report::Json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const Metric& m : metrics_) {
    nlohmann::json* node = &j[m.section];
    std::string key = m.key;
    for (size_t dot; (dot = key.find('.')) != std::string::npos; key = key.substr(dot + 1)) node = &(*node)[key.substr(0, dot)];
    (*node)[key] = std::isfinite(m.value) ? nlohmann::json(m.value) : nlohmann::json(nullptr);
  }
  for (const auto& [sec, text] : notes_) j["notes"][sec].push_back(text);
  return j.dump(2);
}

BenchEnv::BenchEnv(BenchOptions options) : options_(std::move(options)), pool_(options_.threads) {}

StatusOr<const model::Model*> BenchEnv::GetModel(model::WeightMode mode, Report& report) {
  std::unique_ptr<model::Model>& slot = models_[static_cast<int>(mode)];
  if (slot) return slot.get();
  const std::string tag = ModeName(mode);
  const int64_t rss0 = CurrentRssBytes();
  const Clock::time_point t0 = Clock::now();
  model::LoadOptions lo;
  lo.weights = mode;
  lo.quantize_threads = options_.threads;
  HG_ASSIGN_OR_RETURN(slot, model::Model::Load(options_.model_dir, lo));
  // A model dropped and loaded again by a later section keeps its first load figures.
  if (!std::isnan(report.Get("load", tag + ".seconds"))) return slot.get();
  report.Add("load", tag + ".seconds", SecondsSince(t0), "s");
  report.Add("load", tag + ".rss_delta_mib", double(CurrentRssBytes() - rss0) / (1 << 20), "MiB");
  if (mode == model::WeightMode::kInt8) report.Add("load", "int8.weight_copy_mib", double(slot->int8_bytes()) / (1 << 20), "MiB");
  return slot.get();
}

void BenchEnv::Unload(model::WeightMode mode) {
  models_[static_cast<int>(mode)].reset();
}

StatusOr<guard::Classifier*> BenchEnv::GetGuard(model::WeightMode mode, Report& report) {
  std::unique_ptr<guard::Classifier>& slot = guards_[static_cast<int>(mode)];
  if (slot) return slot.get();
  guard::GuardOptions g;
  g.model = options_.model_dir;
  g.offline = true;
  g.threads = options_.threads;
  g.weights = mode;
  const Clock::time_point t0 = Clock::now();
  HG_ASSIGN_OR_RETURN(slot, guard::LoadClassifier(g));
  report.Add("load", std::string("guard_") + ModeName(mode) + ".seconds", SecondsSince(t0), "s");
  return slot.get();
}

void BenchEnv::UnloadGuard(model::WeightMode mode) {
  guards_[static_cast<int>(mode)].reset();
}

double Percentile(std::vector<double> samples, double q) {
  if (samples.empty()) return NAN;
  std::sort(samples.begin(), samples.end());
  const double pos = std::clamp(q, 0.0, 1.0) * double(samples.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, samples.size() - 1);
  return samples[lo] + (pos - double(lo)) * (samples[hi] - samples[lo]);
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

const char* ModeName(model::WeightMode mode) {
  switch (mode) {
    case model::WeightMode::kInt8: return "int8";
    case model::WeightMode::kBf16: return "bf16";
    case model::WeightMode::kExact: break;
  }
  return "exact";
}

Status RunBench(const BenchOptions& options, Report& report) {
  for (const std::string& name : options.sections) {
    bool known = false;
    for (const Section& s : Sections()) known |= name == s.name;
    if (!known) return InvalidArgumentError("bench: unknown section '" + name + "'; see --list");
  }
  BenchEnv env(options);
  for (const Section& s : Sections()) {
    if (!options.sections.empty() &&
        std::find(options.sections.begin(), options.sections.end(), s.name) == options.sections.end()) {
      continue;
    }
    std::fprintf(stderr, "bench: %s ...\n", s.name);
    Status st = s.run(env, report);
    if (!st.ok()) report.Note(s.name, "failed: " + st.ToString());
  }
  return OkStatus();
}

namespace {
int64_t StatusField(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(f, line))
    if (line.rfind(prefix, 0) == 0) return std::stoll(line.substr(prefix.size())) * 1024;  // kB
  return -1;
}
}  // namespace

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

int64_t CurrentRssBytes() { return StatusField("VmRSS"); }
int64_t PeakRssBytes() { return StatusField("VmHWM"); }

}  // namespace haloguard::bench
