// LoadClassifier: resolves the model, loads checkpoint + tokenizer + policy + calibration + attack
// rules, builds the prompt pieces, runs the prefix once, and returns a GuardClassifier.
#include "guard/guard.h"

#include <string>

#include "core/log.h"
#include "core/thread_pool.h"
#include "guard/classifier.h"
#include "guard/model_scorer.h"
#include "guard/prompt.h"
#include "hub/digest.h"
#include "hub/hub.h"
#include "kernels/kernels.h"
#include "model/qwen35.h"

namespace haloguard::guard {
namespace {

// "dir/policy.json" -> "policy.json" (settings show which file, not where it lives).
std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Owns the model and thread pool the scorer points into, so they live as long as the classifier.
class OwningClassifier : public Classifier {
 public:
  OwningClassifier(std::unique_ptr<model::Model> model, std::unique_ptr<ThreadPool> pool)
      : model_(std::move(model)), pool_(std::move(pool)) {}
  void set_inner(std::unique_ptr<GuardClassifier> inner) { inner_ = std::move(inner); }
  std::vector<StatusOr<GuardResult>> ClassifyBatch(std::span<const ClassifyRequest> r) override {
    return inner_->ClassifyBatch(r);
  }
  StatusOr<int64_t> CountTokens(std::string_view text) const override { return inner_->CountTokens(text); }
  const ModelInfo& info() const override { return inner_->info(); }
  StatusOr<TokenizedText> Tokenize(std::string_view text) const override {
    return inner_->Tokenize(text);
  }
  std::vector<StatusOr<WindowVerdict>> ScoreWindows(
      std::span<const std::vector<int32_t>> w, bool background,
      const std::function<bool()>& should_stop) override {
    return inner_->ScoreWindows(w, background, should_stop);
  }
  Status ReloadFiles() override { return inner_->ReloadFiles(); }
  const model::Model& model() const { return *model_; }
  ThreadPool& pool() { return *pool_; }

 private:
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<GuardClassifier> inner_;  // destroyed first (declared last)
};

}  // namespace

StatusOr<ClassifierOverlays> LoadOverlayFiles(const GuardOptions& o,
                                              const std::vector<std::string>& categories) {
  ClassifierOverlays out;
  if (!o.policy_file.empty()) {
    HG_ASSIGN_OR_RETURN(out.policy, Policy::Load(o.policy_file, o.threshold, categories));
  } else {
    out.policy = Policy::Default(o.threshold, categories);
  }
  if (!o.calibration_file.empty()) {
    HG_ASSIGN_OR_RETURN(Calibration c, LoadCalibration(o.calibration_file));
    out.calibration = c;
  }
  if (!o.attack_rules_file.empty()) {
    HG_ASSIGN_OR_RETURN(out.attack, AttackDetector::Load(o.attack_rules_file));
  } else {
    HG_ASSIGN_OR_RETURN(out.attack, AttackDetector::Builtin());
  }
  return out;
}

namespace {

Status OutOfRange(const std::string& name, const std::string& expected, const std::string& got) {
  return InvalidArgumentError(name + ": expected " + expected + ", got " + got);
}

}  // namespace

Status ValidateGuardOptions(const GuardOptions& o) {
  if (!(o.threshold >= 0.0 && o.threshold <= 1.0)) {
    return OutOfRange("threshold", "a number in [0, 1]", std::to_string(o.threshold));
  }
  if (o.window_length < 1) {
    return OutOfRange("window length", ">= 1", std::to_string(o.window_length));
  }
  if (o.window_stride < 1 || o.window_stride > o.window_length) {
    return OutOfRange("window stride", "[1, window length = " + std::to_string(o.window_length) + "]",
                      std::to_string(o.window_stride));
  }
  if (o.threads < 0) return OutOfRange("threads", ">= 0 (0 = all cores)", std::to_string(o.threads));
  if (o.max_batch < 1) return OutOfRange("max batch", ">= 1", std::to_string(o.max_batch));
  if (o.max_input_tokens < 1) {
    return OutOfRange("max input tokens", ">= 1", std::to_string(o.max_input_tokens));
  }
  if (o.background_chunk_tokens < 1) {
    return OutOfRange("background chunk tokens", ">= 1", std::to_string(o.background_chunk_tokens));
  }
  return OkStatus();
}

// Fills the adapter fields of `info` and warns when the adapter names another base model.
void DescribeAdapter(const hub::ResolvedModel& resolved, const model::Model& m,
                     const std::string& model_arg, ModelInfo* info) {
  const model::LoraAdapter* ad = m.adapter();
  if (ad == nullptr) return;
  info->adapter_id = resolved.repo_id.empty() ? resolved.dir : resolved.repo_id;
  info->adapter_revision = resolved.revision;
  auto d = resolved.digests.find(model::kLoraWeightsFile);
  info->adapter_digest = d == resolved.digests.end() ? "" : d->second;
  info->adapter_base = ad->config.base_model_name_or_path;
  info->adapter_rank = ad->config.r;
  info->adapter_scale = ad->config.scale();
  info->adapter_mode = m.adapter_side_path() != nullptr ? "side_path" : "merged";
  info->adapter_modules = static_cast<int64_t>(ad->modules.size());
  info->adapter_bytes = m.adapter_bytes();
  if (!info->adapter_digest.empty()) info->artifact_digests["adapter/adapter_model.safetensors"] = info->adapter_digest;
  const std::string& base = info->adapter_base;
  const std::string expanded = hub::ExpandRepoAlias(base);
  const bool same = base.empty() || expanded == info->model_id || base == model_arg ||
                    expanded == hub::ExpandRepoAlias(model_arg);
  if (!same) {
    HG_LOG(WARNING) << "adapter: " << info->adapter_id << " was trained on '" << base
                    << "' (base_model_name_or_path) but the loaded model is '" << info->model_id
                    << "'; using it because every targeted matrix has the expected shape";
  }
  HG_LOG(INFO) << "guard: adapter " << info->adapter_id << " (" << info->adapter_digest << ", r "
               << info->adapter_rank << ", " << info->adapter_modules << " matrices, " << info->adapter_mode
               << ")";
}

StatusOr<std::unique_ptr<Classifier>> LoadClassifier(const GuardOptions& options) {
  HG_RETURN_IF_ERROR(ValidateGuardOptions(options));
  hub::PullOptions pull;
  pull.offline = options.offline;
  HG_ASSIGN_OR_RETURN(hub::ResolvedModel resolved, hub::ResolveModelArg(options.model, pull));
  model::LoadOptions load;
  load.weights = options.weights;
  load.quantize_threads = options.threads;
  hub::ResolvedModel adapter;
  if (!options.adapter.empty()) {
    HG_ASSIGN_OR_RETURN(adapter, hub::ResolveAdapterArg(options.adapter, pull));
    load.adapter_dir = adapter.dir;
    load.adapter_mode = options.adapter_mode;
  }
  HG_ASSIGN_OR_RETURN(std::unique_ptr<model::Model> m, model::Model::Load(resolved.dir, load));
  HG_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::LoadFromDir(resolved.dir));
  ClassifierParts parts{std::move(tok)};
  GuardPrompt prompt = DefaultGuardPrompt();
  if (!options.guard_prompt_file.empty()) {
    HG_ASSIGN_OR_RETURN(prompt, LoadGuardPrompt(options.guard_prompt_file));
  }
  HG_ASSIGN_OR_RETURN(ClassifierOverlays overlays, LoadOverlayFiles(options, prompt.categories));
  parts.policy = std::move(overlays.policy);
  parts.attack = std::move(overlays.attack);
  parts.calibration = std::move(overlays.calibration);
  HG_ASSIGN_OR_RETURN(GuardPromptIds ids, BuildPromptIds(parts.tokenizer, prompt));
  auto owner = std::make_unique<OwningClassifier>(std::move(m), std::make_unique<ThreadPool>(options.threads));
  ModelScorerOptions so;
  so.max_batch = options.max_batch;
  HG_ASSIGN_OR_RETURN(parts.scorer, ModelScorer::Create(owner->model(), owner->pool(), std::move(ids), so));
  parts.max_input_tokens = options.max_input_tokens;
  parts.background_chunk_tokens = options.background_chunk_tokens;
  ModelInfo& info = parts.info;
  info.model_id = resolved.repo_id.empty() ? options.model : resolved.repo_id;
  info.model_revision = resolved.revision;
  info.dtype = std::string(DTypeName(owner->model().weights().embed_tokens.dtype));
  if (options.weights == model::WeightMode::kInt8) info.dtype += " (int8 weights)";
  if (owner->model().weight_mode() == model::WeightMode::kBf16) info.dtype += " (bf16 compute)";
  info.max_input_tokens = options.max_input_tokens;
  info.window_length = options.window_length;
  info.window_stride = options.window_stride;
  info.artifact_digests = resolved.digests;
  // The mode in effect (bf16 falls back to exact on CPUs without AVX512_BF16).
  switch (owner->model().weight_mode()) {
    case model::WeightMode::kInt8: info.weights = "int8"; break;
    case model::WeightMode::kBf16: info.weights = "bf16"; break;
    default: info.weights = "exact"; break;
  }
  info.threshold = options.threshold;
  info.policy_file = BaseName(options.policy_file);
  info.calibration_file = BaseName(options.calibration_file);
  info.attack_rules_file = BaseName(options.attack_rules_file);
  info.categories = prompt.categories;
  if (!options.guard_prompt_file.empty()) {
    info.artifact_digests["guard_prompt"] = "sha256:" + hub::Sha256Hex(prompt.system_prompt);
  }
  DescribeAdapter(adapter, owner->model(), options.model, &info);
  if (!resolved.requested_id.empty()) {
    HG_LOG(INFO) << "guard: --model " << resolved.requested_id << " resolved to " << info.model_id
                 << " @ " << info.model_revision;
  }
  HG_LOG(INFO) << "guard: loaded " << info.model_id << " (" << info.dtype << ", "
               << parts.info.max_input_tokens << " max input tokens)";
  const model::WeightMode mode = owner->model().weight_mode();
  if (kernels::AmxEnabled() && ((mode == model::WeightMode::kInt8 && kernels::AmxInt8Supported()) ||
                                (mode == model::WeightMode::kBf16 && kernels::AmxBf16Supported()))) {
    HG_LOG(INFO) << "guard: " << (mode == model::WeightMode::kInt8 ? "int8" : "bf16")
                 << " matmuls run on AMX tiles (HALOGUARD_AMX=0: AVX-512 kernels)";
  }
  owner->set_inner(std::make_unique<GuardClassifier>(std::move(parts), options));
  return std::unique_ptr<Classifier>(std::move(owner));
}

}  // namespace haloguard::guard
