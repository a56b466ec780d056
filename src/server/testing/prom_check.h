// A checker for the Prometheus text exposition format 0.0.4 (what /metrics serves), written
// from the format spec as an independent oracle for the renderer. Test-only.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace haloguard::server::testing {

// OK if `text` is valid exposition text: HELP/TYPE syntax, one TYPE per family before its
// samples, contiguous families, valid names/labels/escapes/values, non-negative counters, and
// for histograms: increasing `le` ending in +Inf, non-decreasing bucket counts, _count equal to
// the +Inf bucket, _sum present. Errors are INVALID_ARGUMENT naming the line.
Status CheckPrometheusText(std::string_view text);

// Samples keyed by "name{label="value",...}" exactly as written (labels in written order).
std::map<std::string, double> PrometheusSamples(std::string_view text);

}  // namespace haloguard::server::testing
