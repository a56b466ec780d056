// Metric families of the guard proxy mode (registered only when --upstream is set).
#pragma once

#include "server/metrics.h"

namespace haloguard::server::proxy {

struct ProxyMetrics {
  explicit ProxyMetrics(MetricsRegistry& reg)
      : requests(reg.AddCounter(
            "haloguard_proxy_requests_total",
            "Proxied LLM requests by outcome: allowed, flagged (review/log action, forwarded), "
            "skipped (no user text), blocked, fail_open, guard_error, invalid.",
            {"route", "outcome"})),
        upstream_errors(reg.AddCounter(
            "haloguard_proxy_upstream_errors_total",
            "Upstream transfers that did not complete, by reason: before the response head "
            "unavailable (502), timeout (504), cancelled (client left or shutdown); after it "
            "cut (upstream failed or went silent mid-body) or client_left.",
            {"reason"})),
        upstream_seconds(reg.AddHistogram(
            "haloguard_proxy_upstream_head_seconds",
            "Time from forwarding a request to the upstream's complete response head.", {},
            {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})) {}
  CounterFamily& requests;
  CounterFamily& upstream_errors;
  HistogramFamily& upstream_seconds;
};

}  // namespace haloguard::server::proxy
