// LabelTrie: the category labels' token sequences as a trie, and the label distribution the
// model implies when decoding is constrained to them: at every node with two or more children,
// the probability of each child is the softmax of the model's logits restricted to the children's
// token ids; P(label) is the product along its path. Nodes with one child contribute 1, so only
// branching nodes need logits (usually the root and a few shallow nodes).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/status.h"

namespace haloguard::guard {

class LabelTrie {
 public:
  struct Node {
    std::vector<int32_t> path;         // tokens from the root to this node
    std::vector<int32_t> child_tokens; // token of each child edge
    std::vector<int> child_nodes;      // node index of each child
    int label = -1;                    // label index ending here, or -1
  };

  // Errors (INVALID_ARGUMENT): an empty sequence, two equal sequences, or one sequence a prefix
  // of another (the label would be ambiguous without an end marker).
  static StatusOr<LabelTrie> Build(const std::vector<std::vector<int32_t>>& sequences);

  const std::vector<Node>& nodes() const { return nodes_; }  // nodes()[0] is the root
  // Indices of the nodes with >= 2 children (the root first if it branches).
  const std::vector<int>& branching_nodes() const { return branching_; }
  int num_labels() const { return num_labels_; }

  // The path of the deepest branching node if every branching node other than the root lies on
  // it (the root, then a single chain of branching nodes: true of the card's 29 categories, whose
  // only non-root branching node is one token deep), and it has at most `max_tokens` tokens;
  // empty otherwise (also when only the root branches). Appending it to the category prefix
  // makes one sequence reach every branching node, so their logits come from one forward pass.
  std::vector<int32_t> BranchingChain(size_t max_tokens) const;

  // P(label) for every label, given for each branching node the logits of its child_tokens
  // (logits_at(node) returns child_tokens.size() values). Computed in double.
  std::vector<double> LabelProbabilities(const std::function<const float*(int node)>& logits_at) const;

  // The label chosen by greedy constrained decoding (argmax child at every node; first on ties).
  int GreedyLabel(const std::function<const float*(int node)>& logits_at) const;

 private:
  std::vector<Node> nodes_;
  std::vector<int> branching_;
  int num_labels_ = 0;
};

}  // namespace haloguard::guard
