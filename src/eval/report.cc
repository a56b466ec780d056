// BuildReport: every metric of the report from score records (see report.h).
#include "eval/report.h"

#include <algorithm>
#include <array>
#include <set>

#include "eval/dataset.h"
#include "eval/lang_groups.h"

namespace haloguard::eval {
namespace {

using Records = std::vector<const ScoreRecord*>;

// The three views of a slice: raw, de-noised labels, calibrated probabilities.
struct Views {
  std::vector<Scored> raw;
  std::optional<std::vector<Scored>> denoised, calibrated;
  int64_t relabelled = 0;
};

Views MakeViews(const Records& rs, const ReportOptions& o) {
  Views v;
  v.raw.reserve(rs.size());
  for (const ScoreRecord* r : rs) v.raw.push_back(ToScored(*r));
  if (o.adjudication != nullptr) {
    v.denoised.emplace();
    for (const ScoreRecord* r : rs) {
      v.denoised->push_back(ToScored(*r, o.adjudication));
      v.relabelled += v.denoised->back().unsafe != v.raw[v.denoised->size() - 1].unsafe;
    }
  }
  if (o.calibration) {
    v.calibrated.emplace();
    for (const Scored& s : v.raw) v.calibrated->push_back(Calibrate(s, *o.calibration));
  }
  return v;
}

SliceMetrics MakeSlice(std::string name, const Views& v, double threshold) {
  SliceMetrics s;
  s.name = std::move(name);
  s.raw = MetricsFromConfusion(ConfusionAt(v.raw, threshold));
  if (v.denoised) s.denoised = MetricsFromConfusion(ConfusionAt(*v.denoised, threshold));
  if (v.calibrated) s.calibrated = MetricsFromConfusion(ConfusionAt(*v.calibrated, threshold));
  return s;
}

CurveReport MakeCurves(std::span<const Scored> xs, int sweep_steps) {
  const ScoreRanking ranking(xs);
  CurveReport c;
  c.average_precision = ranking.AveragePrecision();
  c.roc_auc = ranking.RocAuc();
  c.best_f1 = ranking.BestF1();
  c.sweep = ranking.Sweep(sweep_steps);
  c.pr_curve = ThinPrCurve(ranking.PrCurve(), kMaxPrPoints);
  return c;
}

std::vector<SliceMetrics> LangGroupSlices(const Records& rs, const ReportOptions& o) {
  std::array<Records, kNumLangGroups> by_group;
  for (const ScoreRecord* r : rs) by_group[static_cast<size_t>(r->lang_group)].push_back(r);
  std::vector<SliceMetrics> out;
  for (size_t g = 0; g < by_group.size(); ++g) {
    if (by_group[g].empty()) continue;
    out.push_back(MakeSlice(std::string(LangGroupName(static_cast<LangGroup>(g))),
                            MakeViews(by_group[g], o), o.threshold));
  }
  return out;
}

std::vector<CategoryMetrics> CategorySlices(const Records& rs, double threshold) {
  std::map<std::string, Records> by_cat;
  for (const ScoreRecord* r : rs)
    if (!r->category.empty()) by_cat[r->category].push_back(r);
  std::vector<CategoryMetrics> out;
  for (const auto& [cat, members] : by_cat) {
    CategoryMetrics c;
    c.category = cat;
    std::vector<Scored> xs;
    std::map<std::string, int64_t> predicted;
    for (const ScoreRecord* r : members) {
      xs.push_back(ToScored(*r));
      if (r->p_unsafe >= threshold && !r->pred_category.empty()) ++predicted[r->pred_category];
    }
    c.raw = MetricsFromConfusion(ConfusionAt(xs, threshold));
    for (const auto& [pred, n] : predicted) {
      if (n > c.top_predicted_count) {
        c.top_predicted = pred;
        c.top_predicted_count = n;
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

DatasetReport MakeDatasetReport(std::string name, std::string display, const Records& rs,
                                const ReportOptions& o) {
  DatasetReport d;
  d.name = std::move(name);
  d.display_name = std::move(display);
  const Views v = MakeViews(rs, o);
  d.metrics = MakeSlice(d.name, v, o.threshold);
  d.relabelled = v.relabelled;
  d.curves = MakeCurves(v.raw, o.sweep_steps);
  d.calibration_raw = SummarizeCalibration(v.raw, o.calibration_bins);
  if (v.calibrated) d.calibration_after = SummarizeCalibration(*v.calibrated, o.calibration_bins);
  d.lang_groups = LangGroupSlices(rs, o);
  d.categories = CategorySlices(rs, o.threshold);
  for (const ScoreRecord* r : rs)
    ++d.lang_group_sources[std::string(LangGroupSourceName(r->lang_group_source))];
  return d;
}

}  // namespace

Status ValidateReportOptions(const ReportOptions& o) {
  if (!(o.threshold >= 0 && o.threshold <= 1)) {
    return InvalidArgumentError("report: --threshold; expected a number in [0, 1], got " +
                                std::to_string(o.threshold));
  }
  if (o.sweep_steps < 1 || o.sweep_steps > 100000) {
    return InvalidArgumentError("report: --sweep-steps; expected 1..100000, got " +
                                std::to_string(o.sweep_steps));
  }
  if (o.calibration_bins < 1 || o.calibration_bins > 1000) {
    return InvalidArgumentError("report: --bins; expected 1..1000, got " +
                                std::to_string(o.calibration_bins));
  }
  return OkStatus();
}

namespace {

// Dataset names in report order: the requested order first, then first appearance.
std::vector<std::string> DatasetOrder(std::span<const ScoreRecord> records,
                                      const std::vector<std::string>& requested) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  for (const std::string& n : requested)
    if (seen.insert(n).second) order.push_back(n);
  for (const ScoreRecord& r : records)
    if (seen.insert(r.dataset).second) order.push_back(r.dataset);
  return order;
}

int64_t CountUnmatched(const Adjudication& adj, std::span<const ScoreRecord> records) {
  std::set<std::pair<std::string, std::string>> keys;
  std::set<std::string> ids;
  for (const ScoreRecord& r : records) {
    keys.emplace(r.dataset, r.id);
    ids.insert(r.id);
  }
  int64_t unmatched = 0;
  for (const auto& [key, label] : adj.entries()) {
    const bool hit = key.first.empty() ? ids.count(key.second) > 0 : keys.count(key) > 0;
    unmatched += hit ? 0 : 1;
  }
  return unmatched;
}

}  // namespace

MacroAverages Macro(std::span<const BinaryMetrics> slices) {
  MacroAverages m;
  m.slices = static_cast<int>(slices.size());
  auto mean = [&](std::optional<double> BinaryMetrics::*field) {
    std::vector<std::optional<double>> v;
    for (const BinaryMetrics& b : slices) v.push_back(b.*field);
    return MeanOfDefined(v);
  };
  m.f1 = mean(&BinaryMetrics::f1);
  m.precision = mean(&BinaryMetrics::precision);
  m.recall = mean(&BinaryMetrics::recall);
  m.fpr = mean(&BinaryMetrics::fpr);
  m.fnr = mean(&BinaryMetrics::fnr);
  m.accuracy = mean(&BinaryMetrics::accuracy);
  return m;
}

StatusOr<EvalReport> BuildReport(std::span<const ScoreRecord> records, const ReportOptions& o) {
  HG_RETURN_IF_ERROR(ValidateReportOptions(o));
  if (records.empty()) {
    return InvalidArgumentError("report: no scored prompts; expected at least one");
  }
  EvalReport rep;
  rep.threshold = o.threshold;
  rep.sweep_steps = o.sweep_steps;
  rep.calibration_bins = o.calibration_bins;
  rep.model_name = o.model_name;
  rep.model_size = o.model_size;
  if (o.calibration) rep.temperature = o.calibration->temperature;
  std::map<std::string, Records> by_dataset;
  Records all;
  for (const ScoreRecord& r : records) {
    by_dataset[r.dataset].push_back(&r);
    all.push_back(&r);
  }
  std::vector<BinaryMetrics> raw, denoised, calibrated;
  for (const std::string& name : DatasetOrder(records, o.dataset_order)) {
    rep.datasets.push_back(MakeDatasetReport(name, DisplayName(name), by_dataset[name], o));
    const SliceMetrics& m = rep.datasets.back().metrics;
    raw.push_back(m.raw);
    if (m.denoised) denoised.push_back(*m.denoised);
    if (m.calibrated) calibrated.push_back(*m.calibrated);
  }
  rep.overall = MakeDatasetReport("overall", "Overall", all, o);
  rep.macro = Macro(raw);
  if (o.adjudication != nullptr) {
    rep.macro_denoised = Macro(denoised);
    rep.adjudication_path = o.adjudication->path();
    rep.adjudications = o.adjudication->size();
    rep.adjudications_unmatched = CountUnmatched(*o.adjudication, records);
  }
  if (o.calibration) rep.macro_calibrated = Macro(calibrated);
  std::vector<BinaryMetrics> groups;
  for (const SliceMetrics& g : rep.overall.lang_groups)
    if (g.name != "Other" && g.name != "Unknown") groups.push_back(g.raw);
  rep.lang_group_macro = Macro(groups);
  return rep;
}

}  // namespace haloguard::eval
