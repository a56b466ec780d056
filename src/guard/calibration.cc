// Calibration file reader/writer and the temperature-scaled sigmoid (see calibration.h).
#include "guard/calibration.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"

namespace haloguard::guard {
namespace {

// Calibration files are a few hundred bytes; anything this large is not one.
constexpr size_t kMaxCalibrationBytes = 1 << 20;
constexpr std::string_view kInput = "unsafe_vs_safe_logit";

Status CheckTemperature(double t, std::string_view where) {
  if (!std::isfinite(t) || t < kMinTemperature || t > kMaxTemperature) {
    return InvalidArgumentError(std::string(where) +
                                ": temperature; expected a finite number in [" +
                                std::to_string(kMinTemperature) + ", " +
                                std::to_string(kMaxTemperature) + "], got " + std::to_string(t));
  }
  return OkStatus();
}

Status ExpectString(const nlohmann::json& j, const char* key, std::string_view want,
                    std::string_view where) {
  const auto it = j.find(key);
  const std::string got = it == j.end() ? "nothing" : it->dump();
  if (it == j.end() || !it->is_string() || it->get<std::string>() != want) {
    return InvalidArgumentError(std::string(where) + ": \"" + key + "\"; expected \"" +
                                std::string(want) + "\", got " + got);
  }
  return OkStatus();
}

// Provenance fields are optional; a wrongly typed one throws and is reported by the caller.
void ReadFitInfo(const nlohmann::json& fit, CalibrationFitInfo* info) {
  info->examples = fit.value("examples", int64_t{0});
  info->nll_before = fit.value("nll_before", 0.0);
  info->nll_after = fit.value("nll_after", 0.0);
  info->datasets = fit.value("datasets", std::vector<std::string>{});
  info->created_unix = fit.value("created_unix", int64_t{0});
}

StatusOr<Calibration> ParseJson(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) {
    return InvalidArgumentError(std::string(where) + ": expected a JSON object, got " +
                                j.type_name());
  }
  HG_RETURN_IF_ERROR(ExpectString(j, "format", kCalibrationFormat, where));
  const auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() ||
      version->get<int64_t>() != kCalibrationVersion) {
    return InvalidArgumentError(std::string(where) + ": \"version\"; expected " +
                                std::to_string(kCalibrationVersion) + ", got " +
                                (version == j.end() ? "nothing" : version->dump()));
  }
  HG_RETURN_IF_ERROR(ExpectString(j, "method", "temperature", where));
  HG_RETURN_IF_ERROR(ExpectString(j, "input", kInput, where));
  const auto t = j.find("temperature");
  if (t == j.end() || !t->is_number()) {
    return InvalidArgumentError(std::string(where) + ": \"temperature\"; expected a number, got " +
                                (t == j.end() ? "nothing" : t->dump()));
  }
  Calibration c;
  c.temperature = t->get<double>();
  HG_RETURN_IF_ERROR(CheckTemperature(c.temperature, where));
  if (const auto fit = j.find("fit"); fit != j.end() && fit->is_object()) {
    ReadFitInfo(*fit, &c.fit);
  }
  return c;
}

}  // namespace

double Calibration::Apply(double logit) const {
  const double z = logit / temperature;
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

StatusOr<Calibration> ParseCalibration(std::string_view json_text, std::string_view where) {
  try {
    return ParseJson(nlohmann::json::parse(json_text), where);
  } catch (const nlohmann::json::exception& e) {
    // Type errors inside "fit" land here too: the file is not one we wrote.
    return InvalidArgumentError(std::string(where) + ": expected a calibration JSON file, got " +
                                "invalid content (" + e.what() + ")");
  }
}

StatusOr<Calibration> LoadCalibration(const std::string& path) {
  HG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxCalibrationBytes));
  return ParseCalibration(text, path);
}

std::string CalibrationToJson(const Calibration& c) {
  nlohmann::ordered_json j;
  j["format"] = kCalibrationFormat;
  j["version"] = kCalibrationVersion;
  j["method"] = "temperature";
  j["input"] = kInput;
  j["temperature"] = c.temperature;
  j["fit"] = {{"examples", c.fit.examples},
              {"nll_before", c.fit.nll_before},
              {"nll_after", c.fit.nll_after},
              {"datasets", c.fit.datasets},
              {"created_unix", c.fit.created_unix}};
  return j.dump(2) + "\n";
}

Status SaveCalibration(const Calibration& c, const std::string& path) {
  HG_RETURN_IF_ERROR(CheckTemperature(c.temperature, path));
  return WriteFileAtomic(path, CalibrationToJson(c));
}

}  // namespace haloguard::guard
