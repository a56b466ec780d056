// The report's plots as SVG: precision-recall curves per benchmark, the pooled threshold sweep
// (F1 / FPR / FNR / precision / recall against the threshold) and the reliability diagram
// (before and after calibration).
#pragma once

#include <string>

#include "core/status.h"
#include "eval/report.h"

namespace haloguard::eval {

std::string PrCurveSvg(const EvalReport& report);
std::string ThresholdSweepSvg(const EvalReport& report);
std::string ReliabilitySvg(const EvalReport& report);

// Writes pr_curve.svg, threshold_sweep.svg and reliability.svg into `dir` (which must exist).
Status WritePlots(const EvalReport& report, const std::string& dir);

}  // namespace haloguard::eval
