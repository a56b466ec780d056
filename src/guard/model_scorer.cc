// ModelScorer implementation: one committed pass per window group (content + cue [+ category
// prefix]), one read-only pass for the category trie's branching nodes, optional greedy decode.
#include "guard/model_scorer.h"

#include <algorithm>
#include <map>

namespace haloguard::guard {
namespace {

using model::InferenceState;
using model::SequenceInput;

Status CheckIds(const std::vector<int32_t>& ids, int64_t vocab, const char* what) {
  for (int32_t t : ids) {
    if (t < 0 || t >= vocab) {
      return InvalidArgumentError(std::string("guard prompt: ") + what + " token id " +
                                  std::to_string(t) + " outside the model vocabulary of " +
                                  std::to_string(vocab) + "; hint: tokenizer and checkpoint do not match");
    }
  }
  return OkStatus();
}

// Forks kept for reuse, and the largest kept: the prefix plus this many tokens of KV cache (a
// short request's window; longer windows' states are freed after use).
constexpr size_t kSpareForks = 2;
constexpr int64_t kKeptForkTokens = 1024;

// Longest category-trie chain folded into the main pass: each token is one more row of a pass
// that already has ~50 (a few ms each), against a separate pass that must stream all weights.
constexpr size_t kMaxChainTokens = 8;

int32_t Argmax(const float* v, int64_t n) {
  return static_cast<int32_t>(std::max_element(v, v + n) - v);
}

}  // namespace

ModelScorer::ModelScorer(const model::Model& model, ThreadPool& pool, GuardPromptIds ids,
                         LabelTrie trie, const ModelScorerOptions& options)
    : model_(model), pool_(pool), ids_(std::move(ids)), trie_(std::move(trie)), options_(options),
      prefix_state_(model.NewState()),
      fork_pool_(prefix_state_, kSpareForks,
                 model::InferenceState::FixedBytes(model.config()) +
                     model::InferenceState::KvBytesPerToken(model.config()) *
                         static_cast<size_t>(static_cast<int64_t>(ids_.prefix.size()) + kKeptForkTokens)) {
  main_rows_ = {ids_.safe_id, ids_.unsafe_id};
  const auto& nodes = trie_.nodes();
  main_rows_.insert(main_rows_.end(), nodes[0].child_tokens.begin(), nodes[0].child_tokens.end());
  chain_ = trie_.BranchingChain(kMaxChainTokens);
  int node = 0;
  for (size_t d = 0; d < chain_.size(); ++d) {
    const auto& n = nodes[node];
    node = n.child_nodes[std::find(n.child_tokens.begin(), n.child_tokens.end(), chain_[d]) - n.child_tokens.begin()];
    if (nodes[node].child_tokens.size() < 2) continue;
    folded_.push_back({node, d + 1, main_rows_.size()});
    main_rows_.insert(main_rows_.end(), nodes[node].child_tokens.begin(), nodes[node].child_tokens.end());
  }
}

void ModelScorer::AppendCategoryTokens(std::vector<int32_t>& t, std::vector<int32_t>& positions) const {
  t.insert(t.end(), ids_.category_prefix.begin(), ids_.category_prefix.end());
  const int32_t root = static_cast<int32_t>(t.size()) - 1;
  positions.push_back(root);
  t.insert(t.end(), chain_.begin(), chain_.end());
  for (const Folded& f : folded_) positions.push_back(root + static_cast<int32_t>(f.depth));
}

const float* ModelScorer::MainLogitsOf(const std::vector<float>& main, int node) const {
  // Positions: the cue, the root, then the folded nodes; each has main_rows_.size() values.
  const size_t R = main_rows_.size();
  if (node == 0) return main.data() + R + 2;
  for (size_t j = 0; j < folded_.size(); ++j)
    if (folded_[j].node == node) return main.data() + (2 + j) * R + folded_[j].row_offset;
  return nullptr;
}

StatusOr<std::unique_ptr<ModelScorer>> ModelScorer::Create(const model::Model& model,
                                                           ThreadPool& pool, GuardPromptIds ids,
                                                           const ModelScorerOptions& options) {
  const int64_t V = model.config().vocab_size;
  HG_RETURN_IF_ERROR(CheckIds(ids.prefix, V, "prefix"));
  HG_RETURN_IF_ERROR(CheckIds(ids.suffix, V, "suffix"));
  HG_RETURN_IF_ERROR(CheckIds({ids.safe_id, ids.unsafe_id}, V, "verdict"));
  HG_RETURN_IF_ERROR(CheckIds(ids.category_prefix, V, "category prefix"));
  for (const auto& l : ids.category_labels) HG_RETURN_IF_ERROR(CheckIds(l, V, "category label"));
  if (ids.suffix.empty() || ids.category_prefix.empty()) {
    return InvalidArgumentError("guard prompt: empty suffix or category prefix");
  }
  HG_ASSIGN_OR_RETURN(LabelTrie trie, LabelTrie::Build(ids.category_labels));
  std::unique_ptr<ModelScorer> s(new ModelScorer(model, pool, std::move(ids), std::move(trie), options));
  if (options.use_prefix_cache && !s->ids_.prefix.empty()) {
    SequenceInput in{&s->prefix_state_, s->ids_.prefix};
    std::span<SequenceInput> batch(&in, 1);
    HG_RETURN_IF_ERROR(model.Forward(pool, batch));
  }
  return s;
}

Status ModelScorer::Score(std::span<const WindowRequest> windows, std::vector<WindowScore>* out) {
  out->assign(windows.size(), WindowScore{});
  const size_t step = static_cast<size_t>(std::max(1, options_.max_batch));
  for (size_t i = 0; i < windows.size(); i += step) {
    const size_t n = std::min(step, windows.size() - i);
    HG_RETURN_IF_ERROR(ScoreGroup(windows.subspan(i, n), out->data() + i));
  }
  return OkStatus();
}

Status ModelScorer::ScoreGroup(std::span<const WindowRequest> windows, WindowScore* out) {
  const size_t n = windows.size();
  const bool cached = options_.use_prefix_cache;
  const int64_t V = model_.config().vocab_size;
  model::StatePool::Lease lease = fork_pool_.Acquire(n);
  std::vector<InferenceState>& states = lease.states();
  std::vector<std::vector<int32_t>> tokens(n);
  std::vector<std::vector<float>> logits(n);
  std::vector<SequenceInput> batch(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<int32_t>& t = tokens[i];
    if (!cached) t = ids_.prefix;
    t.insert(t.end(), windows[i].content.begin(), windows[i].content.end());
    t.insert(t.end(), ids_.suffix.begin(), ids_.suffix.end());
    const int32_t cue = static_cast<int32_t>(t.size()) - 1;
    SequenceInput& in = batch[i];
    in.state = &states[i];
    in.logits = &logits[i];
    in.logit_positions = {cue};
    if (!windows[i].generate) {  // category prefix (and chain_) in the same pass
      AppendCategoryTokens(t, in.logit_positions);
      in.logit_rows = main_rows_;
    }
    in.tokens = t;
    out[i].tokens_processed = static_cast<int64_t>(t.size());
  }
  HG_RETURN_IF_ERROR(model_.Forward(pool_, batch));
  std::vector<int32_t> first_generated(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const std::vector<float>& l = logits[i];
    if (windows[i].generate) {  // full vocabulary at the cue
      out[i].logit_safe = l[ids_.safe_id];
      out[i].logit_unsafe = l[ids_.unsafe_id];
      first_generated[i] = Argmax(l.data(), V);
    } else {
      out[i].logit_safe = l[0];
      out[i].logit_unsafe = l[1];
    }
  }
  std::vector<bool> prefix_done(n);
  for (size_t i = 0; i < n; ++i) prefix_done[i] = !windows[i].generate;
  HG_RETURN_IF_ERROR(ScoreCategories(states, logits, prefix_done, std::span<WindowScore>(out, n)));
  return Generate(states, std::move(first_generated), windows, std::span<WindowScore>(out, n));
}

Status ModelScorer::ScoreInPieces(const WindowRequest& window, int64_t chunk_tokens,
                                  const std::function<PriorityGate::Lock()>& acquire,
                                  const std::function<bool()>& should_stop, WindowScore* out) {
  if (window.generate) return InvalidArgumentError("ScoreInPieces: generate is not supported");
  chunk_tokens = std::max<int64_t>(1, chunk_tokens);
  model::StatePool::Lease lease = fork_pool_.Acquire(1);
  std::vector<InferenceState>& states = lease.states();
  std::vector<int32_t> t;
  if (!options_.use_prefix_cache) t = ids_.prefix;
  t.insert(t.end(), window.content.begin(), window.content.end());
  t.insert(t.end(), ids_.suffix.begin(), ids_.suffix.end());
  const int64_t cue = static_cast<int64_t>(t.size()) - 1;
  std::vector<int32_t> positions = {static_cast<int32_t>(cue)};
  AppendCategoryTokens(t, positions);
  const int64_t n = static_cast<int64_t>(t.size());
  // The last piece holds the cue and the category tokens, so every logit row comes from it.
  const int64_t last_begin = std::max<int64_t>(0, std::min(n - chunk_tokens, cue));
  auto stop_check = [&](int64_t done) {
    if (should_stop && should_stop()) {
      return CancelledError("window scoring stopped after " + std::to_string(done) + " of " +
                            std::to_string(n) + " tokens");
    }
    return OkStatus();
  };
  for (int64_t b = 0; b < last_begin; b += chunk_tokens) {
    HG_RETURN_IF_ERROR(stop_check(b));
    const int64_t e = std::min(last_begin, b + chunk_tokens);
    SequenceInput in{&states[0], std::span<const int32_t>(t.data() + b, e - b)};
    std::span<SequenceInput> batch(&in, 1);
    PriorityGate::Lock lock = acquire();
    HG_RETURN_IF_ERROR(model_.Forward(pool_, batch));
  }
  std::vector<std::vector<float>> logits(1);
  SequenceInput in{&states[0], std::span<const int32_t>(t.data() + last_begin, n - last_begin)};
  for (int32_t p : positions) in.logit_positions.push_back(p - static_cast<int32_t>(last_begin));
  in.logit_rows = main_rows_;
  in.logits = &logits[0];
  std::span<SequenceInput> batch(&in, 1);
  HG_RETURN_IF_ERROR(stop_check(last_begin));
  {
    PriorityGate::Lock lock = acquire();
    HG_RETURN_IF_ERROR(model_.Forward(pool_, batch));
  }
  out->logit_safe = logits[0][0];
  out->logit_unsafe = logits[0][1];
  out->tokens_processed = n;
  PriorityGate::Lock lock = acquire();
  return ScoreCategories(states, logits, {true}, std::span<WindowScore>(out, 1));
}

Status ModelScorer::ScoreCategories(std::vector<InferenceState>& states,
                                    const std::vector<std::vector<float>>& main_logits,
                                    const std::vector<bool>& prefix_done,
                                    std::span<WindowScore> out) {
  const auto& nodes = trie_.nodes();
  struct Job {
    size_t window;
    int node;
  };
  std::vector<Job> jobs;
  std::vector<std::vector<int32_t>> tokens;
  for (size_t i = 0; i < states.size(); ++i) {
    for (int node : trie_.branching_nodes()) {
      if (prefix_done[i] && (node == 0 || MainLogitsOf(main_logits[i], node) != nullptr)) continue;
      std::vector<int32_t> t;
      if (!prefix_done[i]) t = ids_.category_prefix;
      t.insert(t.end(), nodes[node].path.begin(), nodes[node].path.end());
      jobs.push_back({i, node});
      tokens.push_back(std::move(t));
    }
  }
  std::vector<std::vector<float>> logits(jobs.size());
  std::vector<SequenceInput> batch(jobs.size());
  for (size_t j = 0; j < jobs.size(); ++j) {
    SequenceInput& in = batch[j];
    in.state = &states[jobs[j].window];
    in.tokens = tokens[j];
    in.commit = false;
    in.logit_positions = {static_cast<int32_t>(tokens[j].size()) - 1};
    in.logit_rows = nodes[jobs[j].node].child_tokens;
    in.logits = &logits[j];
  }
  if (!batch.empty()) HG_RETURN_IF_ERROR(model_.Forward(pool_, batch));
  std::map<std::pair<size_t, int>, const float*> at;
  for (size_t j = 0; j < jobs.size(); ++j) at[{jobs[j].window, jobs[j].node}] = logits[j].data();
  for (size_t i = 0; i < states.size(); ++i) {
    out[i].category_probs = trie_.LabelProbabilities([&](int node) -> const float* {
      if (prefix_done[i])
        if (const float* l = MainLogitsOf(main_logits[i], node)) return l;
      return at.at({i, node});
    });
    for (const Job& job : jobs)
      if (job.window == i) out[i].tokens_processed += static_cast<int64_t>(nodes[job.node].path.size());
  }
  return OkStatus();
}

Status ModelScorer::Generate(std::vector<InferenceState>& states, std::vector<int32_t> next,
                             std::span<const WindowRequest> windows, std::span<WindowScore> out) {
  const int64_t V = model_.config().vocab_size;
  auto is_stop = [&](int32_t t) {
    return std::find(ids_.stop_ids.begin(), ids_.stop_ids.end(), t) != ids_.stop_ids.end();
  };
  std::vector<size_t> active;
  for (size_t i = 0; i < windows.size(); ++i)
    if (windows[i].generate) active.push_back(i);
  for (int step = 0; step < options_.max_new_tokens && !active.empty(); ++step) {
    std::vector<size_t> still;
    for (size_t i : active) {
      if (is_stop(next[i])) continue;
      out[i].generated.push_back(next[i]);
      still.push_back(i);
    }
    active.swap(still);
    if (step + 1 == options_.max_new_tokens || active.empty()) break;
    std::vector<std::vector<float>> logits(active.size());
    std::vector<SequenceInput> batch(active.size());
    for (size_t a = 0; a < active.size(); ++a) {
      const size_t i = active[a];
      batch[a] = SequenceInput{&states[i], std::span<const int32_t>(&next[i], 1), true, {0}, {}, &logits[a]};
    }
    HG_RETURN_IF_ERROR(model_.Forward(pool_, batch));
    for (size_t a = 0; a < active.size(); ++a) {
      next[active[a]] = Argmax(logits[a].data(), V);
      out[active[a]].tokens_processed += 1;
    }
  }
  return OkStatus();
}

}  // namespace haloguard::guard
