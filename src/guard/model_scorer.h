// ModelScorer: the Scorer backed by a Qwen3.5 Model. The state after the fixed prompt prefix is
// computed once (the prefix cache) and forked per window; windows are batched into one forward
// pass; the category trie's branching nodes are scored as read-only continuations.
#pragma once

#include <memory>

#include "core/thread_pool.h"
#include "guard/label_trie.h"
#include "guard/scorer.h"
#include "model/qwen35.h"
#include "model/state_pool.h"

namespace haloguard::guard {

struct ModelScorerOptions {
  int max_batch = 16;        // windows per forward pass
  int max_new_tokens = 32;   // greedy decode length (generate mode)
  bool use_prefix_cache = true;  // false: run the prefix for every window (for equivalence tests)
};

class ModelScorer : public Scorer {
 public:
  // Builds the label trie and runs the prefix once. `model` and `pool` must outlive the scorer.
  // Errors: ids out of the model's vocabulary, ambiguous label sequences.
  static StatusOr<std::unique_ptr<ModelScorer>> Create(const model::Model& model, ThreadPool& pool,
                                                       GuardPromptIds ids,
                                                       const ModelScorerOptions& options);

  // Thread-compatible: concurrent Score calls are serialised by the caller (the scheduler).
  Status Score(std::span<const WindowRequest> windows, std::vector<WindowScore>* out) override;
  Status ScoreInPieces(const WindowRequest& window, int64_t chunk_tokens,
                       const std::function<PriorityGate::Lock()>& acquire,
                       const std::function<bool()>& should_stop,
                       WindowScore* out) override;

  const GuardPromptIds& ids() const { return ids_; }
  int64_t prefix_tokens() const { return static_cast<int64_t>(ids_.prefix.size()); }

 private:
  ModelScorer(const model::Model& model, ThreadPool& pool, GuardPromptIds ids, LabelTrie trie,
              const ModelScorerOptions& options);
  Status ScoreGroup(std::span<const WindowRequest> windows, WindowScore* out);
  // Category distribution per window. prefix_done[i]: the category prefix and chain_ are already
  // in states[i] and main_logits[i] holds the logits of the root and of the folded nodes.
  Status ScoreCategories(std::vector<model::InferenceState>& states,
                         const std::vector<std::vector<float>>& main_logits,
                         const std::vector<bool>& prefix_done, std::span<WindowScore> out);
  Status Generate(std::vector<model::InferenceState>& states, std::vector<int32_t> first,
                  std::span<const WindowRequest> windows, std::span<WindowScore> out);

  const model::Model& model_;
  ThreadPool& pool_;
  GuardPromptIds ids_;
  LabelTrie trie_;
  ModelScorerOptions options_;
  model::InferenceState prefix_state_;
  // Forks of prefix_state_, reused across requests (model/state_pool.h).
  model::StatePool fork_pool_;
  // Logit rows of the main pass: safe, unsafe, the root's child tokens, then the child tokens
  // of each node on chain_ (in chain order).
  std::vector<int32_t> main_rows_;
  // Category-prefix continuation run inside the main pass (LabelTrie::BranchingChain), so that
  // no second, memory-bound pass is needed for the branching nodes on it; empty = none.
  std::vector<int32_t> chain_;
  struct Folded {
    int node;           // branching node reached after `depth` chain tokens
    size_t depth;       // 1..chain_.size()
    size_t row_offset;  // its first logit row in main_rows_
  };
  std::vector<Folded> folded_;
  // Appends the category prefix and chain_ to `t` and the logit positions of the trie root and
  // the folded nodes to `positions` (indices into t).
  void AppendCategoryTokens(std::vector<int32_t>& t, std::vector<int32_t>& positions) const;
  // The logits of branching node `node` in a main-pass logit buffer, or nullptr if not folded.
  const float* MainLogitsOf(const std::vector<float>& main, int node) const;
};

}  // namespace haloguard::guard
