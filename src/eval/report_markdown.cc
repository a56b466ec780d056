// report.md: the EvalReport as Markdown tables in the model card's layout. Rates are percentages
// with one decimal as in the card (the de-noised table uses the card's 3-decimal fractions);
// "n/a" marks an undefined rate.
#include <cstdio>
#include <sstream>

#include "eval/report.h"

namespace haloguard::eval {
namespace {

// How many skipped rows the Markdown lists before pointing at report.json.
constexpr size_t kMaxListedBadRows = 20;

std::string Pct(const std::optional<double>& v) {
  if (!v) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", 100 * *v);
  return buf;
}

std::string Frac(const std::optional<double>& v, int decimals = 3) {
  if (!v) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
  return buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

void F1Row(std::ostringstream& os, const std::string& model, const std::string& size,
           const std::vector<std::optional<double>>& f1s, const std::optional<double>& avg) {
  os << "| " << Escape(model) << " | " << Escape(size) << " |";
  for (const auto& f : f1s) os << " " << Pct(f) << " |";
  os << " " << Pct(avg) << " |\n";
}

void F1Table(std::ostringstream& os, const EvalReport& r) {
  os << "## Prompt-harmfulness F1\n\n| Model | Size |";
  for (const DatasetReport& d : r.datasets) os << " " << Escape(d.display_name) << " |";
  os << " Avg. |\n|---|---|";
  for (size_t i = 0; i <= r.datasets.size(); ++i) os << "---:|";
  os << "\n";
  std::vector<std::optional<double>> raw, den, cal;
  for (const DatasetReport& d : r.datasets) {
    raw.push_back(d.metrics.raw.f1);
    if (d.metrics.denoised) den.push_back(d.metrics.denoised->f1);
    if (d.metrics.calibrated) cal.push_back(d.metrics.calibrated->f1);
  }
  F1Row(os, r.model_name, r.model_size, raw, r.macro.f1);
  if (r.macro_denoised)
    F1Row(os, r.model_name + " (de-noised)", r.model_size, den, r.macro_denoised->f1);
  if (r.macro_calibrated) {
    F1Row(os, r.model_name + " (calibrated, T=" + Frac(r.temperature) + ")", r.model_size, cal,
          r.macro_calibrated->f1);
  }
  os << "\nF1 in %, unsafe iff p_unsafe >= " << Frac(r.threshold, 2)
     << "; Avg. = unweighted mean over the benchmarks.\n\n";
}

void FrontierTable(std::ostringstream& os, const EvalReport& r) {
  const DatasetReport* best = nullptr;
  const DatasetReport* worst = nullptr;
  for (const DatasetReport& d : r.datasets) {
    if (!d.metrics.raw.f1) continue;
    if (!best || *d.metrics.raw.f1 > *best->metrics.raw.f1) best = &d;
    if (!worst || *d.metrics.raw.f1 < *worst->metrics.raw.f1) worst = &d;
  }
  const BinaryMetrics& all = r.overall.metrics.raw;
  os << "## Frontier metrics\n\n| Metric | Value |\n|---|---:|\n"
     << "| Macro-F1 | " << Pct(r.macro.f1) << " |\n"
     << "| FPR (over-refusal) ↓ | " << Pct(r.macro.fpr) << " |\n"
     << "| FNR (missed harm) ↓ | " << Pct(r.macro.fnr) << " |\n"
     << "| Precision | " << Pct(r.macro.precision) << " |\n"
     << "| Recall | " << Pct(r.macro.recall) << " |\n";
  if (best)
    os << "| Best benchmark | " << Pct(best->metrics.raw.f1) << " (" << Escape(best->display_name)
       << ") |\n";
  if (worst)
    os << "| Weakest benchmark | " << Pct(worst->metrics.raw.f1) << " ("
       << Escape(worst->display_name) << ") |\n";
  os << "| Pooled F1 / FPR / FNR (" << all.counts.total() << " prompts) | " << Pct(all.f1) << " / "
     << Pct(all.fpr) << " / " << Pct(all.fnr) << " |\n"
     << "| Pooled AP / ROC AUC | " << Pct(r.overall.curves.average_precision) << " / "
     << Pct(r.overall.curves.roc_auc) << " |\n";
  if (r.overall.curves.best_f1) {
    os << "| Best-F1 threshold (pooled) | " << Frac(r.overall.curves.best_f1->threshold, 4)
       << " (F1 " << Pct(r.overall.curves.best_f1->metrics.f1) << ") |\n";
  }
  os << "\nMacro rows average the benchmarks (each rate over the benchmarks where it is defined: "
        "a set without safe prompts has no FPR).\n\n";
}

void DenoisedTable(std::ostringstream& os, const EvalReport& r) {
  if (!r.macro_denoised) return;
  os << "## De-noised evaluation\n\n| | F1 | FPR | FNR |\n|---|---:|---:|---:|\n"
     << "| Reported (raw) | " << Frac(r.macro.f1) << " | " << Frac(r.macro.fpr) << " | "
     << Frac(r.macro.fnr) << " |\n"
     << "| De-noised | " << Frac(r.macro_denoised->f1) << " | " << Frac(r.macro_denoised->fpr)
     << " | " << Frac(r.macro_denoised->fnr) << " |\n\n"
     << r.overall.relabelled << " labels corrected by `" << Escape(r.adjudication_path) << "` ("
     << r.adjudications << " rows, " << r.adjudications_unmatched
     << " matched no scored prompt); macro averages over the benchmarks.\n\n";
}

void LangGroupTable(std::ostringstream& os, const EvalReport& r) {
  os << "## Multilingual generalization (by language group)\n\n"
     << "| Group | N | FPR ↓ | FNR ↓ | F1 ↑ |\n|---|---:|---:|---:|---:|\n";
  for (const SliceMetrics& g : r.overall.lang_groups) {
    const std::string name = g.name == "English" ? "English (reference)" : g.name;
    os << "| " << name << " | " << g.raw.counts.total() << " | " << Pct(g.raw.fpr) << " | "
       << Pct(g.raw.fnr) << " | " << Pct(g.raw.f1) << " |\n";
  }
  const MacroAverages& m = r.lang_group_macro;
  os << "| Multilingual (macro avg.) | | " << Pct(m.fpr) << " | " << Pct(m.fnr) << " | "
     << Pct(m.f1) << " |\n\nGroup from: ";
  bool first = true;
  for (const auto& [source, n] : r.overall.lang_group_sources) {
    os << (first ? "" : ", ") << source << " " << n;
    first = false;
  }
  os << " prompts (`lang` code, else the dominant Unicode script of the text).\n\n";
}

void CalibrationRow(std::ostringstream& os, const std::string& name, const CalibrationSummary& s) {
  os << "| " << name << " | " << Frac(s.ece, 4) << " | " << Frac(s.mce, 4) << " | "
     << Frac(s.brier, 4) << " | " << Frac(s.nll, 4) << " |\n";
}

void CalibrationTables(std::ostringstream& os, const EvalReport& r) {
  os << "## Calibration\n\n| | ECE | MCE | Brier | NLL |\n|---|---:|---:|---:|---:|\n";
  CalibrationRow(os, "Raw", r.overall.calibration_raw);
  if (r.overall.calibration_after) {
    CalibrationRow(os, "Calibrated (T=" + Frac(r.temperature) + ")", *r.overall.calibration_after);
  }
  os << "\nReliability (all prompts, raw p_unsafe):\n\n"
     << "| p_unsafe bin | N | Mean p_unsafe | Observed unsafe | Gap |\n|---|---:|---:|---:|---:|\n";
  for (const ReliabilityBin& b : r.overall.calibration_raw.bins) {
    std::optional<double> gap;
    if (b.mean_p && b.frac_unsafe) gap = *b.frac_unsafe - *b.mean_p;
    os << "| [" << Frac(b.lower, 2) << ", " << Frac(b.upper, 2) << (b.upper >= 1 ? "]" : ")")
       << " | " << b.count << " | " << Frac(b.mean_p) << " | " << Frac(b.frac_unsafe) << " | "
       << Frac(gap) << " |\n";
  }
  os << "\n";
}

void DetailTable(std::ostringstream& os, const EvalReport& r) {
  os << "## Per-benchmark detail\n\n| Benchmark | N | Unsafe | F1 | Precision | Recall | FPR | "
        "FNR | Accuracy | AP | ROC AUC | Best-F1 thr. (F1) | ECE | Brier |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  std::vector<const DatasetReport*> rows;
  for (const DatasetReport& d : r.datasets) rows.push_back(&d);
  rows.push_back(&r.overall);
  for (const DatasetReport* d : rows) {
    const BinaryMetrics& m = d->metrics.raw;
    const auto& best = d->curves.best_f1;
    os << "| " << Escape(d->display_name) << " | " << m.counts.total() << " | "
       << m.counts.positives() << " | " << Pct(m.f1) << " | " << Pct(m.precision) << " | "
       << Pct(m.recall) << " | " << Pct(m.fpr) << " | " << Pct(m.fnr) << " | " << Pct(m.accuracy)
       << " | " << Pct(d->curves.average_precision) << " | " << Pct(d->curves.roc_auc) << " | "
       << (best ? Frac(best->threshold, 4) + " (" + Pct(best->metrics.f1) + ")" : "n/a") << " | "
       << Frac(d->calibration_raw.ece) << " | " << Frac(d->calibration_raw.brier) << " |\n";
  }
  os << "\n";
}

void CategoryTables(std::ostringstream& os, const EvalReport& r) {
  bool header = false;
  for (const DatasetReport& d : r.datasets) {
    if (d.categories.empty()) continue;
    if (!header) os << "## Per-category recall\n\n";
    header = true;
    os << "### " << Escape(d.display_name)
       << "\n\n| Category | Unsafe | Recall | Safe | FPR | "
          "Top predicted (n) |\n|---|---:|---:|---:|---:|---|\n";
    for (const CategoryMetrics& c : d.categories) {
      os << "| " << Escape(c.category) << " | " << c.raw.counts.positives() << " | "
         << Pct(c.raw.recall) << " | " << c.raw.counts.negatives() << " | " << Pct(c.raw.fpr)
         << " | "
         << (c.top_predicted.empty()
                 ? "n/a"
                 : Escape(c.top_predicted) + " (" + std::to_string(c.top_predicted_count) + ")")
         << " |\n";
    }
    os << "\n";
  }
}

void BadRowList(std::ostringstream& os, const EvalReport& r) {
  if (r.bad_rows.empty()) return;
  os << "## Skipped rows\n\n" << r.bad_rows.size() << " rows were skipped";
  os << (r.bad_rows.size() > kMaxListedBadRows ? " (the first 20 are listed; report.json has all)"
                                               : "")
     << ":\n\n";
  for (size_t i = 0; i < r.bad_rows.size() && i < kMaxListedBadRows; ++i) {
    os << "- `" << Escape(BadRowToString(r.bad_rows[i])) << "`\n";
  }
  os << "\n";
}

}  // namespace

std::string ReportToMarkdown(const EvalReport& r) {
  std::ostringstream os;
  os << "# HaloGuard evaluation\n\n"
     << r.overall.metrics.raw.counts.total() << " prompts in " << r.datasets.size()
     << " datasets; unsafe iff p_unsafe >= " << Frac(r.threshold, 2);
  if (r.temperature) os << "; calibration T = " << Frac(r.temperature);
  os << ".\n\n";
  F1Table(os, r);
  FrontierTable(os, r);
  DenoisedTable(os, r);
  LangGroupTable(os, r);
  CalibrationTables(os, r);
  DetailTable(os, r);
  CategoryTables(os, r);
  BadRowList(os, r);
  return os.str();
}

std::string ReportSummary(const EvalReport& r) {
  std::ostringstream os;
  F1Table(os, r);
  FrontierTable(os, r);
  return os.str();
}

}  // namespace haloguard::eval
