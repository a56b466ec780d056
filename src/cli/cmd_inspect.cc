// `haloguard inspect --model DIR`: config, every tensor of the weight table, parameters, bytes.
#include <cstdio>

#include "cli/command.h"
#include "cli/flags.h"
#include "model/qwen35.h"
#include "model/state.h"

namespace haloguard::cli {
namespace {

int RunInspect(int argc, char** argv) {
  std::string model_dir;
  bool tensors = false;
  FlagSet flags("inspect", "--model DIR [--tensors]");
  flags.RefusePositional();
  flags.String("model", &model_dir, "checkpoint directory");
  flags.Bool("tensors", &tensors, "list every tensor with shape, dtype and bytes");
  int rc = 0;
  if (!ParseOrExit(flags, argc, argv, &rc)) return rc;
  auto m = model::Model::Load(model_dir);
  if (!m.ok()) return ReportError("inspect", m.status(), 1);
  const model::TextConfig& c = (*m)->config();
  std::printf("%s", model::DescribeConfig(c).c_str());
  const auto& w = (*m)->weights();
  std::printf("tensor prefix: %s\nlm_head: %s\n", w.prefix.c_str(),
              w.lm_head_tied ? "tied to embed_tokens" : "lm_head.weight");
  if (tensors) {
    for (const model::WeightSpec& spec : model::WeightTable(c)) {
      const std::string name = spec.top_level ? spec.name : w.prefix + spec.name;
      const model::TensorInfo* t = (*m)->store().Find(name);
      if (t == nullptr) continue;
      std::printf("  %-60s %-6s %-16s %zu bytes\n", name.c_str(), t->dtype_name.c_str(),
                  t->ShapeString().c_str(), t->nbytes);
    }
  }
  const model::WeightStats st = model::ComputeWeightStats((*m)->store(), c);
  std::printf("tensors: %lld\nparameters: %lld\nweight bytes: %lld\nfiles: %zu (%zu bytes)\n",
              static_cast<long long>(st.num_tensors), static_cast<long long>(st.num_params),
              static_cast<long long>(st.num_bytes), (*m)->store().files().size(),
              (*m)->store().total_file_bytes());
  std::printf("state budget: %zu bytes fixed (GDN conv + recurrent) + %zu bytes per token (KV)\n",
              model::InferenceState::FixedBytes(c), model::InferenceState::KvBytesPerToken(c));
  return 0;
}

}  // namespace
HG_REGISTER_COMMAND("inspect", "show a checkpoint's config, tensors, parameters and bytes", RunInspect);
}  // namespace haloguard::cli
