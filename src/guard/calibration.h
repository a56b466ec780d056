// Calibration file: temperature scaling of the unsafe-vs-safe logit, written by
// `haloguard calibrate` and loaded by classify/serve (GuardOptions::calibration_file).
//
//   HG_ASSIGN_OR_RETURN(guard::Calibration cal, guard::LoadCalibration(path));
//   double p_unsafe = cal.Apply(std::log(p_unsafe_raw / p_safe_raw));
//
// File format (JSON, version 1):
//   {"format": "haloguard-calibration", "version": 1, "method": "temperature",
//    "temperature": 1.37, "input": "unsafe_vs_safe_logit",
//    "fit": {"examples": 4210, "nll_before": 0.31, "nll_after": 0.27,
//            "datasets": ["oai", "aegis"], "created_unix": 1767225600}}
// "fit" is provenance only; everything else is required.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace haloguard::guard {

inline constexpr std::string_view kCalibrationFormat = "haloguard-calibration";
inline constexpr int kCalibrationVersion = 1;
// Accepted temperature range: outside it the fit was degenerate (eval/temperature.h refuses it).
inline constexpr double kMinTemperature = 1e-3;
inline constexpr double kMaxTemperature = 1e3;

struct CalibrationFitInfo {
  int64_t examples = 0;
  double nll_before = 0;  // mean NLL of the labels at T = 1
  double nll_after = 0;   // mean NLL at the fitted T
  std::vector<std::string> datasets;
  int64_t created_unix = 0;
};

struct Calibration {
  double temperature = 1;  // T > 0
  CalibrationFitInfo fit;

  // Calibrated p_unsafe = sigmoid(logit / T), where logit = log(p_unsafe / p_safe) of the raw
  // two-way softmax. Overflow-free for any finite logit; 1 - Apply(z) == Apply(-z), so
  // p_safe = Apply(-logit) keeps full precision near 0. Thread-safe (const).
  double Apply(double logit) const;
};

// Reads and validates a calibration file. Errors: NOT_FOUND (missing file); INVALID_ARGUMENT for
// bad JSON, a wrong "format"/"version"/"method"/"input", or a temperature that is not a finite
// number in [kMinTemperature, kMaxTemperature] — each naming the key, expected and got values.
StatusOr<Calibration> LoadCalibration(const std::string& path);
// Same checks on JSON text; `where` prefixes the messages (usually the path).
StatusOr<Calibration> ParseCalibration(std::string_view json_text, std::string_view where);

// The file text (pretty-printed JSON, trailing newline).
std::string CalibrationToJson(const Calibration& c);
// Writes CalibrationToJson atomically. INVALID_ARGUMENT if the temperature is out of range.
Status SaveCalibration(const Calibration& c, const std::string& path);

}  // namespace haloguard::guard
