// report.json: the EvalReport as JSON. Rates are fractions in [0, 1]; an undefined rate (zero
// denominator) is null. Top level:
//   {"schema": "haloguard-eval-report", "version": 1, "config": {...}, "run": {...},
//    "overall": DATASET, "macro": {"raw", "denoised", "calibrated"}, "lang_group_macro": MACRO,
//    "datasets": [DATASET...], "bad_rows": [{"file", "line", "reason"}]}
// DATASET = {"name", "display_name", "metrics": {"raw", "denoised", "calibrated"}, "relabelled",
//    "ranking": {"average_precision", "roc_auc", "best_f1"}, "sweep": [...], "pr_curve": [...],
//    "calibration": {"raw", "calibrated"}, "lang_groups": [...], "lang_group_sources": {...},
//    "categories": [...]}
#include <nlohmann/json.hpp>

#include "eval/report.h"

namespace haloguard::eval {
namespace {

using Json = nlohmann::ordered_json;

Json Opt(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json MetricsJson(const BinaryMetrics& m) {
  const Confusion& c = m.counts;
  return Json{{"support", c.total()},
              {"positives", c.positives()},
              {"negatives", c.negatives()},
              {"tp", c.tp},
              {"fp", c.fp},
              {"tn", c.tn},
              {"fn", c.fn},
              {"f1", Opt(m.f1)},
              {"precision", Opt(m.precision)},
              {"recall", Opt(m.recall)},
              {"fpr", Opt(m.fpr)},
              {"fnr", Opt(m.fnr)},
              {"accuracy", Opt(m.accuracy)}};
}

Json OptMetrics(const std::optional<BinaryMetrics>& m) {
  return m ? MetricsJson(*m) : Json(nullptr);
}

Json SliceJson(const SliceMetrics& s) {
  return Json{{"raw", MetricsJson(s.raw)},
              {"denoised", OptMetrics(s.denoised)},
              {"calibrated", OptMetrics(s.calibrated)}};
}

Json MacroJson(const MacroAverages& m) {
  return Json{{"slices", m.slices},         {"f1", Opt(m.f1)},   {"precision", Opt(m.precision)},
              {"recall", Opt(m.recall)},    {"fpr", Opt(m.fpr)}, {"fnr", Opt(m.fnr)},
              {"accuracy", Opt(m.accuracy)}};
}

Json ThresholdJson(const ThresholdPoint& p) {
  Json j = MetricsJson(p.metrics);
  j["threshold"] = p.threshold;
  return j;
}

Json CalibrationJson(const CalibrationSummary& s) {
  Json bins = Json::array();
  for (const ReliabilityBin& b : s.bins) {
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"count", b.count},
                    {"mean_p_unsafe", Opt(b.mean_p)},
                    {"frac_unsafe", Opt(b.frac_unsafe)}});
  }
  return Json{{"count", s.count},      {"ece", Opt(s.ece)}, {"mce", Opt(s.mce)},
              {"brier", Opt(s.brier)}, {"nll", Opt(s.nll)}, {"bins", bins}};
}

Json CurvesJson(const CurveReport& c, Json* sweep, Json* pr) {
  for (const ThresholdPoint& p : c.sweep) sweep->push_back(ThresholdJson(p));
  for (const PrPoint& p : c.pr_curve) {
    pr->push_back({{"threshold", p.threshold}, {"recall", p.recall}, {"precision", p.precision}});
  }
  return Json{{"average_precision", Opt(c.average_precision)},
              {"roc_auc", Opt(c.roc_auc)},
              {"best_f1", c.best_f1 ? ThresholdJson(*c.best_f1) : Json(nullptr)}};
}

Json CategoryJson(const CategoryMetrics& c) {
  return Json{{"category", c.category},
              {"metrics", MetricsJson(c.raw)},
              {"top_predicted", c.top_predicted.empty() ? Json(nullptr) : Json(c.top_predicted)},
              {"top_predicted_count", c.top_predicted_count}};
}

Json DatasetJson(const DatasetReport& d) {
  Json sweep = Json::array(), pr = Json::array();
  Json ranking = CurvesJson(d.curves, &sweep, &pr);
  Json groups = Json::array(), cats = Json::array();
  for (const SliceMetrics& g : d.lang_groups)
    groups.push_back({{"group", g.name}, {"metrics", SliceJson(g)}});
  for (const CategoryMetrics& c : d.categories) cats.push_back(CategoryJson(c));
  return Json{{"name", d.name},
              {"display_name", d.display_name},
              {"metrics", SliceJson(d.metrics)},
              {"relabelled", d.relabelled},
              {"ranking", ranking},
              {"sweep", sweep},
              {"pr_curve", pr},
              {"calibration",
               {{"raw", CalibrationJson(d.calibration_raw)},
                {"calibrated",
                 d.calibration_after ? CalibrationJson(*d.calibration_after) : Json(nullptr)}}},
              {"lang_groups", groups},
              {"lang_group_sources", d.lang_group_sources},
              {"categories", cats}};
}

Json ConfigJson(const EvalReport& r) {
  Json adj = nullptr;
  if (!r.adjudication_path.empty()) {
    adj = {{"path", r.adjudication_path},
           {"rows", r.adjudications},
           {"unmatched", r.adjudications_unmatched}};
  }
  return Json{{"threshold", r.threshold},
              {"sweep_steps", r.sweep_steps},
              {"calibration_bins", r.calibration_bins},
              {"model_name", r.model_name},
              {"model_size", r.model_size},
              {"temperature", Opt(r.temperature)},
              {"adjudication", adj}};
}

}  // namespace

std::string ReportToJson(const EvalReport& r) {
  Json datasets = Json::array(), bad = Json::array();
  for (const DatasetReport& d : r.datasets) datasets.push_back(DatasetJson(d));
  for (const BadRow& b : r.bad_rows)
    bad.push_back({{"file", b.file}, {"line", b.line}, {"reason", b.reason}});
  Json j{{"schema", "haloguard-eval-report"},
         {"version", 1},
         {"config", ConfigJson(r)},
         {"run", r.run_info},
         {"overall", DatasetJson(r.overall)},
         {"macro",
          {{"raw", MacroJson(r.macro)},
           {"denoised", r.macro_denoised ? MacroJson(*r.macro_denoised) : Json(nullptr)},
           {"calibrated", r.macro_calibrated ? MacroJson(*r.macro_calibrated) : Json(nullptr)}}},
         {"lang_group_macro", MacroJson(r.lang_group_macro)},
         {"datasets", datasets},
         {"bad_rows", bad}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace haloguard::eval
