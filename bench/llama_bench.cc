// The llama_bench section (llama_bench.h): llama.cpp's llama-bench run as a child process, its
// JSON parsed, and our prefill of the same length timed right after it in each weight mode.
#include "bench/llama_bench.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/workload.h"
#include "kernels/kernels.h"

namespace haloguard::bench {
namespace {

using nlohmann::json;

std::string Excerpt(const std::string& s) {
  if (s.empty()) return "(nothing)";
  std::string out(1, '\'');
  out.append(s, 0, 300);
  out.append(s.size() > 300 ? "...'" : "'");
  return out;
}

std::string ReadTail(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  return s.size() > 400 ? s.substr(s.size() - 400) : s;
}

// Runs `cmd` (stdout captured, stderr to a temporary file); returns stdout, or an error with the
// exit status and the end of stderr.
StatusOr<std::string> RunCapture(const std::string& cmd) {
  std::string err_path = (std::filesystem::temp_directory_path() / "hg-llama-bench-XXXXXX").string();
  const int fd = mkstemp(err_path.data());
  if (fd < 0) return InternalError("bench: llama_bench; cannot create a temporary file");
  close(fd);
  std::string out;
  FILE* p = popen((cmd + " 2>" + ShellQuote(err_path)).c_str(), "r");
  if (p == nullptr) return InternalError("bench: llama_bench; cannot start: " + cmd);
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  const std::string err = ReadTail(err_path);
  std::filesystem::remove(err_path);
  if (status != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return UnavailableError("bench: llama_bench; '" + cmd + "' exited with status " + std::to_string(code) +
                            "; its stderr ends: " + Excerpt(err));
  }
  return out;
}

int64_t IntField(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}

std::string StringField(const json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

StatusOr<LlamaBenchResult> ParseLlamaBenchJson(const std::string& out, int64_t n_prompt) {
  const std::string expected = "expected llama-bench -o json output (a JSON array of test objects with "
                               "n_prompt, n_gen and avg_ts)";
  const json j = json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) return InvalidArgumentError(expected + "; got " + Excerpt(out));
  for (const json& t : j) {
    if (!t.is_object() || IntField(t, "n_prompt") != n_prompt || IntField(t, "n_gen") != 0) continue;
    const auto ts = t.find("avg_ts");
    if (ts == t.end() || !ts->is_number() || !(ts->get<double>() > 0)) {
      return InvalidArgumentError(expected + "; the pp" + std::to_string(n_prompt) +
                                  " test has no positive avg_ts: " + Excerpt(t.dump()));
    }
    LlamaBenchResult r;
    r.avg_ts = ts->get<double>();
    const auto sd = t.find("stddev_ts");
    r.stddev_ts = sd != t.end() && sd->is_number() ? sd->get<double>() : 0.0;
    r.n_threads = IntField(t, "n_threads");
    r.model_type = StringField(t, "model_type");
    r.cpu_info = StringField(t, "cpu_info");
    r.build_commit = StringField(t, "build_commit");
    return r;
  }
  return InvalidArgumentError(expected + "; found no test with n_prompt = " + std::to_string(n_prompt) +
                              " and n_gen = 0 in " + Excerpt(out));
}

std::string LlamaBenchCommand(const std::string& binary, const std::string& gguf, int64_t n_prompt,
                              int threads, int repeats) {
  return ShellQuote(binary) + " -m " + ShellQuote(gguf) + " -p " + std::to_string(n_prompt) + " -n 0 -t " +
         std::to_string(threads) + " -r " + std::to_string(repeats) + " -o json";
}

Status CheckLlamaBenchArgs(const std::string& binary, const std::string& gguf) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(binary, ec) || access(binary.c_str(), X_OK) != 0) {
    return InvalidArgumentError("--llama-bench: expected the path of llama.cpp's llama-bench executable, got '" +
                                binary + "' (not an executable file)");
  }
  if (gguf.empty()) return InvalidArgumentError("--llama-bench needs --gguf FILE (a GGUF of the same model)");
  if (!std::filesystem::is_regular_file(gguf, ec) || access(gguf.c_str(), R_OK) != 0) {
    return InvalidArgumentError("--gguf: expected a readable GGUF file, got '" + gguf + "'");
  }
  return OkStatus();
}

Status LlamaBenchSection(BenchEnv& env, Report& r) {
  const BenchOptions& o = env.options();
  if (o.llama_bench.empty()) {
    r.Note("llama_bench", "skipped: pass --llama-bench PATH --gguf FILE (llama.cpp's llama-bench and a GGUF "
                          "of this model) to compare prefill in the same run");
    return OkStatus();
  }
  HG_RETURN_IF_ERROR(CheckLlamaBenchArgs(o.llama_bench, o.gguf));
  const int64_t T = o.quick ? 64 : 600;
  const int threads = env.pool().num_threads();
  const std::string cmd = LlamaBenchCommand(o.llama_bench, o.gguf, T, threads, std::max(2, o.repeats));
  HG_ASSIGN_OR_RETURN(const std::string out, RunCapture(cmd));
  HG_ASSIGN_OR_RETURN(const LlamaBenchResult lb, ParseLlamaBenchJson(out, T));
  const std::string k = "pp" + std::to_string(T);
  r.Add("llama_bench", "llama_cpp." + k + ".tokens_per_s", lb.avg_ts, "tok/s");
  r.Add("llama_bench", "llama_cpp." + k + ".stddev_tokens_per_s", lb.stddev_ts, "tok/s");
  r.Add("llama_bench", "llama_cpp.threads", double(lb.n_threads), "");
  r.Note("llama_bench", "ran: " + cmd + " (model_type '" + lb.model_type + "', build " + lb.build_commit +
                            ", cpu '" + lb.cpu_info + "')");
  if (lb.n_threads != threads) {
    r.Note("llama_bench", "llama-bench reports " + std::to_string(lb.n_threads) + " threads, we ran " +
                              std::to_string(threads) + ": the ratio is not like for like");
  }
  std::vector<model::WeightMode> modes;
  if (o.exact) modes.push_back(model::WeightMode::kExact);
  if (o.int8) modes.push_back(model::WeightMode::kInt8);
  if (o.bf16 && kernels::Bf16ComputeSupported()) modes.push_back(model::WeightMode::kBf16);
  for (model::WeightMode mode : modes) {
    HG_ASSIGN_OR_RETURN(const model::Model* m, env.GetModel(mode, r));
    const std::vector<int32_t> ids = TokenIds(T, m->config().vocab_size, 2);
    TimePrefill(*m, env.pool(), ids);  // warm-up
    const double s = MedianSeconds(std::max(1, o.repeats), [&] { TimePrefill(*m, env.pool(), ids); });
    const std::string mk = std::string(ModeName(mode)) + "." + k;
    r.Add("llama_bench", mk + ".tokens_per_s", double(T) / s, "tok/s");
    r.Add("llama_bench", mk + ".vs_llama_cpp", double(T) / s / lb.avg_ts, "x");
  }
  return OkStatus();
}

}  // namespace haloguard::bench
