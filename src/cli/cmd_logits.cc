// `haloguard logits`: runs token ids through the model and prints logits as JSON (debugging and
// cross-checks), or dumps every layer's hidden states to a safetensors file (--dump-layers).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/flags.h"
#include "model/qwen35.h"
#include "model/safetensors_writer.h"

namespace haloguard::cli {
namespace {

StatusOr<std::vector<int32_t>> ParseIds(const std::string& s, const char* what) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    const std::string tok = s.substr(i, j - i);
    char* end = nullptr;
    const long v = std::strtol(tok.c_str(), &end, 10);
    if (tok.empty() || *end != '\0' || v < 0 || v > INT32_MAX) {
      return InvalidArgumentError(std::string(what) + ": expected comma-separated non-negative integers, got '" + tok + "'");
    }
    ids.push_back(static_cast<int32_t>(v));
    i = j + 1;
  }
  return ids;
}

// Writes every tapped tensor of one forward pass to `path`.
Status DumpLayers(const model::Model& m, ThreadPool& pool, const std::vector<int32_t>& ids,
                  const std::string& path) {
  std::vector<std::pair<std::string, std::vector<float>>> taps;
  std::vector<std::vector<int64_t>> shapes;
  model::ForwardOptions opt;
  opt.tap = [&](const std::string& name, const float* d, int64_t rows, int64_t cols) {
    taps.emplace_back(name, std::vector<float>(d, d + rows * cols));
    shapes.push_back({rows, cols});
  };
  std::vector<float> logits;
  HG_RETURN_IF_ERROR(m.ForwardAllPositions(pool, ids, &logits, opt));
  model::SafetensorsWriter w;
  for (size_t i = 0; i < taps.size(); ++i) w.Declare(taps[i].first, DType::kF32, shapes[i]);
  w.Declare("logits", DType::kF32, {static_cast<int64_t>(ids.size()), m.config().vocab_size});
  HG_RETURN_IF_ERROR(w.Begin(path));
  for (auto& t : taps) HG_RETURN_IF_ERROR(w.Write(t.second.data(), t.second.size() * 4));
  HG_RETURN_IF_ERROR(w.Write(logits.data(), logits.size() * 4));
  return w.Finish();
}

int RunLogits(int argc, char** argv) {
  std::string model_dir, ids_text, rows_text = "all", dump, adapter;
  bool all_positions = false, side_path = false;
  int64_t threads = 0;
  FlagSet flags("logits", "--model DIR --ids 1,2,3 [--all-positions] [--rows all|ID,ID] [--dump-layers FILE]");
  flags.RefusePositional();
  flags.String("model", &model_dir, "checkpoint directory");
  flags.String("ids", &ids_text, "comma-separated token ids");
  flags.Bool("all-positions", &all_positions, "logits for every position, not only the last");
  flags.String("rows", &rows_text, "vocabulary rows to compute: all, or comma-separated ids");
  flags.String("dump-layers", &dump, "write every layer's hidden states + logits to this safetensors file");
  flags.Int("threads", &threads, "compute threads (0 = all cores)");
  flags.String("adapter", &adapter, "PEFT LoRA adapter directory merged into the model (docs/LORA.md)");
  flags.Bool("adapter-side-path", &side_path, "apply --adapter as the low-rank side path");
  int rc = 0;
  if (!ParseOrExit(flags, argc, argv, &rc)) return rc;
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "haloguard logits: %s\n", s.ToString().c_str());
    return 1;
  };
  auto ids = ParseIds(ids_text, "--ids");
  if (!ids.ok()) return fail(ids.status());
  std::vector<int32_t> rows;
  if (rows_text != "all") {
    auto r = ParseIds(rows_text, "--rows");
    if (!r.ok()) return fail(r.status());
    rows = *r;
  }
  model::LoadOptions lo;
  lo.adapter_dir = adapter;
  lo.adapter_mode = side_path ? model::AdapterMode::kSidePath : model::AdapterMode::kMerged;
  auto m = model::Model::Load(model_dir, lo);
  if (!m.ok()) return fail(m.status());
  ThreadPool pool(static_cast<int>(threads));
  if (!dump.empty()) {
    Status s = DumpLayers(**m, pool, *ids, dump);
    return s.ok() ? 0 : fail(s);
  }
  model::InferenceState st = (*m)->NewState();
  std::vector<float> logits;
  model::SequenceInput in{&st, *ids};
  in.logit_rows = rows;
  in.logits = &logits;
  const int32_t T = static_cast<int32_t>(ids->size());
  for (int32_t p = all_positions ? 0 : T - 1; p < T; ++p) in.logit_positions.push_back(p);
  std::span<model::SequenceInput> batch(&in, 1);
  Status s = (*m)->Forward(pool, batch);
  if (!s.ok()) return fail(s);
  const size_t width = rows.empty() ? static_cast<size_t>((*m)->config().vocab_size) : rows.size();
  nlohmann::json out;
  out["positions"] = in.logit_positions;
  out["rows"] = rows_text == "all" ? nlohmann::json("all") : nlohmann::json(rows);
  out["logits"] = nlohmann::json::array();
  for (size_t p = 0; p < in.logit_positions.size(); ++p)
    out["logits"].push_back(std::vector<float>(logits.begin() + p * width, logits.begin() + (p + 1) * width));
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace
HG_REGISTER_COMMAND("logits", "print logits for token ids as JSON (debugging)", RunLogits);
}  // namespace haloguard::cli
