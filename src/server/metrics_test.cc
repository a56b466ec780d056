// Metrics tests: the renderer's output passes the independent exposition-format checker, values
// and bucket placement are exact, and the checker itself rejects each kind of malformed text.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "server/testing/prom_check.h"

namespace haloguard::server {
namespace {

using testing::CheckPrometheusText;
using testing::PrometheusSamples;

TEST(Metrics, RenderIsValidExpositionText) {
  MetricsRegistry reg;
  auto& req =
      reg.AddCounter("t_requests_total", "Requests.\nSecond line \\ here.", {"route", "code"});
  auto& lat = reg.AddHistogram("t_latency_seconds", "Latency.", {"route"}, {0.1, 0.5, 1});
  auto& g = reg.AddGauge("t_depth", "Depth.");
  reg.AddCallbackGauge("t_ready", "Ready.", [] { return 1.0; });
  req.With({"/v1/classify", "200"}).Inc();
  req.With({"/v1/classify", "200"}).Inc(2);
  req.With({"weird \"route\"\\\n", "404"}).Inc();
  lat.With({"/a"}).Observe(0.1);  // exactly on a bound: le is inclusive
  lat.With({"/a"}).Observe(0.7);
  lat.With({"/a"}).Observe(5);
  g.With({}).Set(7);
  const std::string text = reg.Render();
  ASSERT_TRUE(CheckPrometheusText(text).ok()) << CheckPrometheusText(text).ToString() << "\n"
                                              << text;
  auto s = PrometheusSamples(text);
  EXPECT_EQ(s["t_requests_total{route=\"/v1/classify\",code=\"200\"}"], 3);
  EXPECT_EQ(s["t_requests_total{route=\"weird \\\"route\\\"\\\\\\n\",code=\"404\"}"], 1);
  EXPECT_EQ(s["t_latency_seconds_bucket{route=\"/a\",le=\"0.1\"}"], 1);
  EXPECT_EQ(s["t_latency_seconds_bucket{route=\"/a\",le=\"0.5\"}"], 1);
  EXPECT_EQ(s["t_latency_seconds_bucket{route=\"/a\",le=\"1\"}"], 2);
  EXPECT_EQ(s["t_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"}"], 3);
  EXPECT_EQ(s["t_latency_seconds_count{route=\"/a\"}"], 3);
  EXPECT_DOUBLE_EQ(s["t_latency_seconds_sum{route=\"/a\"}"], 5.8);
  EXPECT_EQ(s["t_depth"], 7);
  EXPECT_EQ(s["t_ready"], 1);
  EXPECT_NE(text.find("# HELP t_requests_total Requests.\\nSecond line \\\\ here.\n"),
            std::string::npos);
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry reg;
  auto& c = reg.AddCounter("t_total", "x", {"k"});
  auto& h = reg.AddHistogram("t_h", "x", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.With({"a"}).Inc();
        h.With({}).Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.With({"a"}).value(), 40000);
  EXPECT_EQ(h.With({}).CumulativeCounts().back(), 40000u);
  EXPECT_TRUE(CheckPrometheusText(reg.Render()).ok());
}

TEST(PromCheck, RejectsMalformedText) {
  const char* bad[] = {
      "x 1\n",                                            // no TYPE
      "# TYPE x counter\nx -1\n",                         // negative counter
      "# TYPE x counter\nx{a=\"\\q\"} 1\n",               // bad escape
      "# TYPE x counter\nx{a=\"v} 1\n",                   // unterminated value
      "# TYPE x counter\nx{1a=\"v\"} 1\n",                // bad label name
      "# TYPE x counter\nx abc\n",                        // bad value
      "# TYPE x gauge\nx 1",                              // no final newline
      "# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx 2\n",  // non-contiguous
      "# TYPE x gauge\n# TYPE x gauge\nx 1\n",            // two TYPEs
      "# TYPE x wat\nx 1\n",                              // unknown type
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  // no +Inf
      "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
      "h_sum 1\nh_count 1\n",  // le order
  };
  for (const char* t : bad) EXPECT_FALSE(CheckPrometheusText(t).ok()) << t;
  EXPECT_TRUE(
      CheckPrometheusText("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
                          "h_sum 1.5\nh_count 2\n")
          .ok());
}

TEST(Metrics, FormatValue) {
  EXPECT_EQ(FormatMetricValue(3), "3");
  EXPECT_EQ(FormatMetricValue(0.25), "0.25");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace haloguard::server
