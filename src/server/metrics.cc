// Metrics registry and Prometheus text rendering (exposition format 0.0.4).
#include "server/metrics.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/check.h"

namespace haloguard::server {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
  for (size_t i = 1; i < bounds_.size(); ++i) HG_CHECK(bounds_[i - 1] < bounds_[i]);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;  // "le": bucket i holds v <= bounds_[i]
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += counts_[i].load(std::memory_order_relaxed);
    out[i] = acc;
  }
  return out;
}

template <typename M>
M& Family<M>::With(const std::vector<std::string>& values) {
  HG_CHECK(values.size() == labels_.size())
      << name_ << ": expected " << labels_.size() << " label values, got " << values.size();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) it = children_.emplace(values, make_()).first;
  return *it->second;
}

template <typename M>
void Family<M>::ForEach(
    const std::function<void(const std::vector<std::string>&, const M&)>& fn) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, m] : children_) fn(values, *m);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

namespace {
// Help text escapes \\ and newline; label values also escape the double quote.
std::string Escape(const std::string& v, bool quote) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || (quote && c == '"')) out += '\\';
    if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}
}  // namespace

std::string EscapeLabelValue(const std::string& v) { return Escape(v, true); }

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  for (int precision = 15; precision <= 17; ++precision) {  // shortest text that round-trips
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

namespace {

std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const std::string& extra = "") {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ",";
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra.empty()) out += (names.empty() ? "" : ",") + extra;
  return out + "}";
}

void Header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + Escape(help, false) + "\n# TYPE " + name + " " + type + "\n";
}

void RenderHistogram(std::string& out, const HistogramFamily& f) {
  f.ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
    const std::vector<uint64_t> cum = h.CumulativeCounts();
    for (size_t i = 0; i < cum.size(); ++i) {
      const std::string le = i < h.bounds().size() ? FormatMetricValue(h.bounds()[i]) : "+Inf";
      out += f.name() + "_bucket" + LabelSet(f.labels(), values, "le=\"" + le + "\"") + " " +
             std::to_string(cum[i]) + "\n";
    }
    out +=
        f.name() + "_sum" + LabelSet(f.labels(), values) + " " + FormatMetricValue(h.sum()) + "\n";
    out += f.name() + "_count" + LabelSet(f.labels(), values) + " " + std::to_string(cum.back()) +
           "\n";
  });
}

}  // namespace

bool IsMetricName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  }
  return true;
}

void MetricsRegistry::CheckNew(const std::string& name) const {
  HG_CHECK(IsMetricName(name)) << "bad metric name " << name;
  for (const Entry& e : entries_) HG_CHECK(e.name != name) << "duplicate metric " << name;
}

CounterFamily& MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                           std::vector<std::string> labels) {
  CheckNew(name);
  Entry e{Entry::Kind::kCounter, {}, {}, {}, name, help, {}};
  e.counter = std::make_unique<CounterFamily>(name, help, std::move(labels),
                                              [] { return std::make_unique<Counter>(); });
  entries_.push_back(std::move(e));
  return *entries_.back().counter;
}

GaugeFamily& MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                       std::vector<std::string> labels) {
  CheckNew(name);
  Entry e{Entry::Kind::kGauge, {}, {}, {}, name, help, {}};
  e.gauge = std::make_unique<GaugeFamily>(name, help, std::move(labels),
                                          [] { return std::make_unique<Gauge>(); });
  entries_.push_back(std::move(e));
  return *entries_.back().gauge;
}

HistogramFamily& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                               std::vector<std::string> labels,
                                               std::vector<double> bounds) {
  CheckNew(name);
  Entry e{Entry::Kind::kHistogram, {}, {}, {}, name, help, {}};
  e.histogram = std::make_unique<HistogramFamily>(
      name, help, std::move(labels), [bounds] { return std::make_unique<Histogram>(bounds); });
  entries_.push_back(std::move(e));
  return *entries_.back().histogram;
}

void MetricsRegistry::AddCallbackGauge(const std::string& name, const std::string& help,
                                       std::function<double()> read) {
  CheckNew(name);
  entries_.push_back({Entry::Kind::kCallback, {}, {}, {}, name, help, std::move(read)});
}

std::string MetricsRegistry::Render() const {
  std::string out;
  for (const Entry& e : entries_) {
    switch (e.kind) {
      case Entry::Kind::kCounter:
        Header(out, e.name, e.help, "counter");
        e.counter->ForEach([&](const std::vector<std::string>& v, const Counter& c) {
          out +=
              e.name + LabelSet(e.counter->labels(), v) + " " + FormatMetricValue(c.value()) + "\n";
        });
        break;
      case Entry::Kind::kGauge:
        Header(out, e.name, e.help, "gauge");
        e.gauge->ForEach([&](const std::vector<std::string>& v, const Gauge& g) {
          out +=
              e.name + LabelSet(e.gauge->labels(), v) + " " + FormatMetricValue(g.value()) + "\n";
        });
        break;
      case Entry::Kind::kHistogram:
        Header(out, e.name, e.help, "histogram");
        RenderHistogram(out, *e.histogram);
        break;
      case Entry::Kind::kCallback:
        Header(out, e.name, e.help, "gauge");
        out += e.name + " " + FormatMetricValue(e.read()) + "\n";
        break;
    }
  }
  return out;
}

}  // namespace haloguard::server
