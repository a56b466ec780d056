// Tests for the calibration file (guard/calibration.h): Apply against closed-form sigmoid values,
// the save/load round trip, and every rejected file shape.
#include "guard/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "core/mapped_file.h"

namespace haloguard::guard {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

TEST(Calibration, ApplyIsSigmoidOfScaledLogit) {
  Calibration c;
  c.temperature = 2;
  // sigmoid(1) = 1 / (1 + e^-1) = 0.7310585786300049 (closed form, printed to 16 digits).
  EXPECT_NEAR(c.Apply(2.0), 0.7310585786300049, 1e-16);
  EXPECT_EQ(c.Apply(0.0), 0.5);
  c.temperature = 1;
  // log(0.9 / 0.1) is the logit of p = 0.9; one rounding of log and exp each: a few ulps.
  EXPECT_NEAR(c.Apply(std::log(9.0)), 0.9, 4e-16);
}

TEST(Calibration, ApplyIsSymmetricAndOverflowFree) {
  Calibration c;
  c.temperature = 0.5;
  for (double z : {-800.0, -37.0, -1.5, 0.25, 3.0, 40.0, 800.0}) {
    const double p = c.Apply(z), q = c.Apply(-z);
    EXPECT_TRUE(std::isfinite(p) && p >= 0 && p <= 1) << z;
    // Each of p, q takes three roundings (exp, 1 + e, the division), so |p + q - 1| is at most
    // 6 * 2^-53 = 6.7e-16.
    EXPECT_NEAR(p + q, 1.0, 6.7e-16) << z;
  }
  EXPECT_EQ(c.Apply(800.0), 1.0);
  EXPECT_GT(c.Apply(-30.0), 0.0);  // exp(-60) is representable: no premature underflow
}

TEST(Calibration, SaveLoadRoundTrip) {
  Calibration c;
  c.temperature = 1.2345678901234567;
  c.fit.examples = 4210;
  c.fit.nll_before = 0.31;
  c.fit.nll_after = 0.27;
  c.fit.datasets = {"aegis", "oai"};
  c.fit.created_unix = 1767225600;
  const std::string path = TempPath("calib_roundtrip.json");
  ASSERT_TRUE(SaveCalibration(c, path).ok());
  StatusOr<Calibration> back = LoadCalibration(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->temperature, c.temperature);  // JSON keeps 17 significant digits
  EXPECT_EQ(back->fit.examples, 4210);
  EXPECT_EQ(back->fit.datasets, c.fit.datasets);
  EXPECT_EQ(back->fit.created_unix, 1767225600);
}

TEST(Calibration, MissingFileIsNotFound) {
  EXPECT_EQ(LoadCalibration(TempPath("no_such_calibration.json")).status().code(),
            StatusCode::kNotFound);
}

struct BadCase {
  const char* json;
  const char* message_part;
};

TEST(Calibration, RejectsBadFiles) {
  const std::string ok_head =
      R"({"format": "haloguard-calibration", "version": 1, "method": "temperature", )"
      R"("input": "unsafe_vs_safe_logit", )";
  const std::string t0 = ok_head + R"("temperature": 0})";
  const std::string tneg = ok_head + R"("temperature": -1.5})";
  const std::string tbig = ok_head + R"("temperature": 1e9})";
  const std::string tstr = ok_head + R"("temperature": "1.2"})";
  const std::string tnone = ok_head + R"("fit": {}})";
  const std::string badfit = ok_head + R"("temperature": 1.1, "fit": {"examples": "many"}})";
  const BadCase cases[] = {
      {"{not json", "expected a calibration JSON file"},
      {"[1, 2]", "expected a JSON object, got array"},
      {R"({"format": "other", "version": 1})", "\"format\"; expected \"haloguard-calibration\""},
      {R"({"format": "haloguard-calibration", "version": 2})", "\"version\"; expected 1, got 2"},
      {R"({"format": "haloguard-calibration", "version": 1, "method": "platt"})",
       "\"method\"; expected \"temperature\", got \"platt\""},
      {R"({"format": "haloguard-calibration", "version": 1, "method": "temperature"})",
       "\"input\"; expected \"unsafe_vs_safe_logit\", got nothing"},
      {t0.c_str(), "expected a finite number in [0.001"},
      {tneg.c_str(), "got -1.5"},
      {tbig.c_str(), "expected a finite number in"},
      {tstr.c_str(), "\"temperature\"; expected a number, got \"1.2\""},
      {tnone.c_str(), "\"temperature\"; expected a number, got nothing"},
      {badfit.c_str(), "expected a calibration JSON file"},
  };
  for (const BadCase& bc : cases) {
    StatusOr<Calibration> c = ParseCalibration(bc.json, "calib.json");
    ASSERT_FALSE(c.ok()) << bc.json;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << bc.json;
    EXPECT_NE(c.status().message().find(bc.message_part), std::string::npos)
        << bc.json << " -> " << c.status().message();
    EXPECT_EQ(c.status().message().rfind("calib.json: ", 0), 0u) << c.status().message();
  }
}

TEST(Calibration, SaveRejectsOutOfRangeTemperature) {
  Calibration c;
  c.temperature = 0;
  EXPECT_EQ(SaveCalibration(c, TempPath("calib_bad.json")).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace haloguard::guard
