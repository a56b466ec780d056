// Test helper: the extra fp32 reduction length that merging a LoRA adapter adds to a projection
// (docs/TOLERANCES.md, "LoRA adapters"), computed from the loaded model and its adapter.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "model/qwen35.h"

namespace haloguard::model::testing {

// The merged element W' = fl(W + fl(s * fl(sum_k B[o,k] A[k,i]))) carries an error of at most
// gamma(r + 2) * (|W| + |s| sum_k |B A|) against the exact W + s B A: r products summed, one
// scale, one add. Used in a projection, that is r + 2 more rounded terms per weight, weighted by
// c = max over rows of sum(|W| + |s| |B||A|) / sum|W'| relative to the dot product's own terms; in
// the probabilistic bound (errors add in quadrature) the reduction length grows by c^2 (r + 2).
// With the side path instead, y = W x + (x A^T)(s B)^T: the added term is an in-term then an
// r-term fp32 reduction plus one add, so the growth is c^2 (in + r + 2) with the largest `in`.
// Returns that growth (0 without an adapter). Reads W from the mapped base, so call it on a
// kExact / kBf16 model.
inline double LoraExtraReductionTerms(const Model& m) {
  const LoraAdapter* ad = m.adapter();
  if (ad == nullptr) return 0;
  const double s = ad->config.scale();
  const int64_t r = ad->config.r;
  double c = 1;
  int64_t max_in = 0;
  for (const LoraModule& mod : ad->modules) {
    const TensorInfo* base = m.store().Find(mod.base_name);
    HG_CHECK(base != nullptr) << mod.base_name;
    const std::vector<float> w = ToF32(*base), a = ToF32(*mod.a), b = ToF32(*mod.b);
    const int64_t out = base->shape[0], in = base->shape[1];
    max_in = std::max(max_in, in);
    for (int64_t o = 0; o < out; ++o) {
      double sum_abs_terms = 0, sum_abs_merged = 0;
      for (int64_t i = 0; i < in; ++i) {
        double ba = 0, ba_abs = 0;
        for (int64_t k = 0; k < r; ++k) {
          ba += double(b[o * r + k]) * a[k * in + i];
          ba_abs += std::fabs(double(b[o * r + k]) * a[k * in + i]);
        }
        sum_abs_terms += std::fabs(w[o * in + i]) + std::fabs(s) * ba_abs;
        sum_abs_merged += std::fabs(w[o * in + i] + s * ba);
      }
      if (sum_abs_merged > 0) c = std::max(c, sum_abs_terms / sum_abs_merged);
    }
  }
  return c * c * double((m.adapter_side_path() ? max_in : 0) + r + 2);
}

}  // namespace haloguard::model::testing
