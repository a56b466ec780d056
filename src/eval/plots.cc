// SVG plots of the evaluation report (see plots.h), drawn with SvgChart.
#include "eval/plots.h"

#include <cstdio>

#include "core/mapped_file.h"
#include "eval/svg_chart.h"

namespace haloguard::eval {
namespace {

std::string Fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

LineSeries PrSeries(const DatasetReport& d, const char* color, double width) {
  LineSeries s;
  s.name = d.display_name;
  if (d.curves.average_precision)
    s.name += " (AP " + Fixed(100 * *d.curves.average_precision, 1) + ")";
  s.color = color;
  s.width = width;
  // Start at recall 0 on the first point's precision so each curve begins at the left edge.
  if (!d.curves.pr_curve.empty()) s.points.push_back({0, d.curves.pr_curve.front().precision});
  for (const PrPoint& p : d.curves.pr_curve) s.points.push_back({p.recall, p.precision});
  return s;
}

LineSeries SweepSeries(const std::vector<ThresholdPoint>& sweep, const char* name,
                       std::optional<double> BinaryMetrics::*field, const char* color,
                       bool dashed) {
  LineSeries s;
  s.name = name;
  s.color = color;
  s.dashed = dashed;
  for (const ThresholdPoint& p : sweep)
    if (const auto& v = p.metrics.*field) s.points.push_back({p.threshold, *v});
  return s;
}

// Points (mean p_unsafe, observed unsafe) of the non-empty bins.
LineSeries ReliabilitySeries(const CalibrationSummary& c, std::string name, const char* color) {
  LineSeries s;
  s.name = std::move(name);
  if (c.ece) s.name += " (ECE " + Fixed(*c.ece, 3) + ")";
  s.color = color;
  s.markers = true;
  for (const ReliabilityBin& b : c.bins)
    if (b.mean_p && b.frac_unsafe) s.points.push_back({*b.mean_p, *b.frac_unsafe});
  return s;
}

}  // namespace

std::string PrCurveSvg(const EvalReport& r) {
  SvgChart chart("Precision-recall (unsafe = positive)", "Recall", "Precision");
  for (size_t i = 0; i < r.datasets.size(); ++i) {
    if (r.datasets[i].curves.pr_curve.empty()) continue;  // no unsafe prompts: no curve
    LineSeries s = PrSeries(r.datasets[i], SeriesColor(i), 1.5);
    s.dashed = i >= 10;  // the palette repeats after 10 colours
    chart.Add(std::move(s));
  }
  LineSeries overall = PrSeries(r.overall, "#000000", 2.5);
  overall.name = "Pooled" + overall.name.substr(r.overall.display_name.size());
  chart.Add(std::move(overall));
  return chart.Render();
}

std::string ThresholdSweepSvg(const EvalReport& r) {
  SvgChart chart("Threshold sweep (all prompts)", "Threshold on p_unsafe", "Rate");
  const auto& sweep = r.overall.curves.sweep;
  chart.Add(SweepSeries(sweep, "F1", &BinaryMetrics::f1, "#1f77b4", false));
  chart.Add(SweepSeries(sweep, "FPR (over-refusal)", &BinaryMetrics::fpr, "#d62728", false));
  chart.Add(SweepSeries(sweep, "FNR (missed harm)", &BinaryMetrics::fnr, "#ff7f0e", false));
  chart.Add(SweepSeries(sweep, "Precision", &BinaryMetrics::precision, "#2ca02c", true));
  chart.Add(SweepSeries(sweep, "Recall", &BinaryMetrics::recall, "#9467bd", true));
  chart.Add(VerticalLine{r.threshold, "threshold " + Fixed(r.threshold, 2), "#333333"});
  if (const auto& best = r.overall.curves.best_f1) {
    chart.Add(VerticalLine{best->threshold,
                           "best F1 " + Fixed(100 * best->metrics.f1.value_or(0), 1) + " @ " +
                               Fixed(best->threshold, 3),
                           "#1f77b4"});
  }
  return chart.Render();
}

std::string ReliabilitySvg(const EvalReport& r) {
  SvgChart chart("Reliability diagram (all prompts)", "Mean predicted p_unsafe",
                 "Observed fraction unsafe");
  const CalibrationSummary& raw = r.overall.calibration_raw;
  BarSeries share;
  share.name = "prompts per bin (raw)";
  for (const ReliabilityBin& b : raw.bins) {
    if (raw.count > 0)
      share.bars.push_back(
          {b.lower, b.upper, static_cast<double>(b.count) / static_cast<double>(raw.count)});
  }
  chart.Add(std::move(share));
  chart.Add(LineSeries{"perfect calibration", {{0, 0}, {1, 1}}, "#7f7f7f", 1, true, false});
  chart.Add(ReliabilitySeries(raw, "raw", "#d62728"));
  if (r.overall.calibration_after) {
    chart.Add(ReliabilitySeries(*r.overall.calibration_after,
                                "T=" + Fixed(r.temperature.value_or(1), 3), "#1f77b4"));
  }
  return chart.Render();
}

Status WritePlots(const EvalReport& r, const std::string& dir) {
  HG_RETURN_IF_ERROR(WriteFileAtomic(dir + "/pr_curve.svg", PrCurveSvg(r)));
  HG_RETURN_IF_ERROR(WriteFileAtomic(dir + "/threshold_sweep.svg", ThresholdSweepSvg(r)));
  return WriteFileAtomic(dir + "/reliability.svg", ReliabilitySvg(r));
}

}  // namespace haloguard::eval
