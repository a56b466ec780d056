// LabelTrie implementation.
#include "guard/label_trie.h"

#include <algorithm>
#include <cmath>

namespace haloguard::guard {

StatusOr<LabelTrie> LabelTrie::Build(const std::vector<std::vector<int32_t>>& sequences) {
  LabelTrie t;
  t.nodes_.push_back(Node{});
  t.num_labels_ = static_cast<int>(sequences.size());
  for (size_t i = 0; i < sequences.size(); ++i) {
    if (sequences[i].empty()) {
      return InvalidArgumentError("label trie: label " + std::to_string(i) + " has no tokens");
    }
    int cur = 0;
    for (int32_t tok : sequences[i]) {
      if (t.nodes_[cur].label >= 0) {
        return InvalidArgumentError("label trie: label " + std::to_string(t.nodes_[cur].label) +
                                    " is a prefix of label " + std::to_string(i));
      }
      int next = -1;
      for (size_t c = 0; c < t.nodes_[cur].child_tokens.size(); ++c)
        if (t.nodes_[cur].child_tokens[c] == tok) next = t.nodes_[cur].child_nodes[c];
      if (next < 0) {
        Node child;
        child.path = t.nodes_[cur].path;
        child.path.push_back(tok);
        next = static_cast<int>(t.nodes_.size());
        t.nodes_[cur].child_tokens.push_back(tok);
        t.nodes_[cur].child_nodes.push_back(next);
        t.nodes_.push_back(std::move(child));
      }
      cur = next;
    }
    if (t.nodes_[cur].label >= 0 || !t.nodes_[cur].child_tokens.empty()) {
      return InvalidArgumentError("label trie: label " + std::to_string(i) +
                                  " duplicates or prefixes another label");
    }
    t.nodes_[cur].label = static_cast<int>(i);
  }
  for (size_t n = 0; n < t.nodes_.size(); ++n)
    if (t.nodes_[n].child_tokens.size() >= 2) t.branching_.push_back(static_cast<int>(n));
  return t;
}

std::vector<int32_t> LabelTrie::BranchingChain(size_t max_tokens) const {
  int deepest = -1;
  for (int b : branching_)
    if (b != 0 && (deepest < 0 || nodes_[b].path.size() > nodes_[deepest].path.size())) deepest = b;
  if (deepest < 0) return {};
  const std::vector<int32_t>& chain = nodes_[deepest].path;
  if (chain.size() > max_tokens) return {};
  for (int b : branching_) {  // each must be a prefix of the chain
    const std::vector<int32_t>& p = nodes_[b].path;
    if (!std::equal(p.begin(), p.end(), chain.begin())) return {};
  }
  return chain;
}

std::vector<double> LabelTrie::LabelProbabilities(
    const std::function<const float*(int node)>& logits_at) const {
  std::vector<double> node_p(nodes_.size(), 0.0), out(num_labels_, 0.0);
  node_p[0] = 1.0;
  // Children always have larger indices than their parent, so one forward sweep suffices.
  for (size_t n = 0; n < nodes_.size(); ++n) {
    const Node& node = nodes_[n];
    if (node.label >= 0) out[node.label] = node_p[n];
    const size_t k = node.child_nodes.size();
    if (k == 1) node_p[node.child_nodes[0]] = node_p[n];
    if (k < 2) continue;
    const float* lg = logits_at(static_cast<int>(n));
    double mx = lg[0];
    for (size_t c = 1; c < k; ++c) mx = std::max(mx, double(lg[c]));
    double sum = 0;
    for (size_t c = 0; c < k; ++c) sum += std::exp(double(lg[c]) - mx);
    for (size_t c = 0; c < k; ++c) node_p[node.child_nodes[c]] = node_p[n] * std::exp(double(lg[c]) - mx) / sum;
  }
  return out;
}

int LabelTrie::GreedyLabel(const std::function<const float*(int node)>& logits_at) const {
  int n = 0;
  while (nodes_[n].label < 0) {
    const Node& node = nodes_[n];
    size_t best = 0;
    if (node.child_nodes.size() >= 2) {
      const float* lg = logits_at(n);
      for (size_t c = 1; c < node.child_nodes.size(); ++c)
        if (lg[c] > lg[best]) best = c;
    }
    n = node.child_nodes[best];
  }
  return nodes_[n].label;
}

}  // namespace haloguard::guard
