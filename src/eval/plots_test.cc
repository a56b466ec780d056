// The plots render: each SVG goes through rsvg-convert (librsvg, Debian librsvg2-bin) to a PNG,
// which is decoded here (zlib + PNG row filters) and checked for its size, for ink, and for the
// colours of the series it must show. Also checks XML escaping of odd dataset names.
#include "eval/plots.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "eval/pipeline.h"

namespace haloguard::eval {
namespace {

struct Image {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgb;  // [H, W, 3]
};

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

int Paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
}

// Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what rsvg-convert writes).
::testing::AssertionResult DecodePng(const std::string& bytes, Image* img) {
  const auto* d = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() < 33 || std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0) {
    return ::testing::AssertionFailure() << "not a PNG signature";
  }
  std::string idat;
  int channels = 0;
  for (size_t pos = 8; pos + 12 <= bytes.size();) {
    const uint32_t len = Be32(d + pos);
    const std::string type(bytes, pos + 4, 4);
    if (type == "IHDR") {
      img->width = Be32(d + pos + 8);
      img->height = Be32(d + pos + 12);
      if (d[pos + 16] != 8 || d[pos + 20] != 0) return ::testing::AssertionFailure() << "not 8-bit";
      channels = d[pos + 17] == 6 ? 4 : d[pos + 17] == 2 ? 3 : 0;
    } else if (type == "IDAT") {
      idat.append(bytes, pos + 8, len);
    }
    pos += 12 + len;
  }
  if (channels == 0) return ::testing::AssertionFailure() << "unsupported colour type";
  const size_t stride = size_t{img->width} * channels;
  std::vector<uint8_t> raw((stride + 1) * img->height);
  uLongf raw_len = raw.size();
  if (uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) !=
          Z_OK ||
      raw_len != raw.size()) {
    return ::testing::AssertionFailure() << "IDAT does not inflate to the image size";
  }
  std::vector<uint8_t> prev(stride, 0), cur(stride);
  img->rgb.clear();
  for (uint32_t y = 0; y < img->height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* src = &raw[y * (stride + 1) + 1];
    for (size_t x = 0; x < stride; ++x) {
      const int a = x >= size_t(channels) ? cur[x - channels] : 0, b = prev[x];
      const int c = x >= size_t(channels) ? prev[x - channels] : 0;
      const int pred = filter == 0   ? 0
                       : filter == 1 ? a
                       : filter == 2 ? b
                       : filter == 3 ? (a + b) / 2
                                     : Paeth(a, b, c);
      cur[x] = static_cast<uint8_t>(src[x] + pred);
    }
    for (uint32_t x = 0; x < img->width; ++x)
      for (int k = 0; k < 3; ++k) img->rgb.push_back(cur[x * channels + k]);
    prev = cur;
  }
  return ::testing::AssertionSuccess();
}

// Pixels of exactly this colour (a 1.5-2.5 px line has fully covered, unblended pixels).
int64_t CountColour(const Image& img, uint32_t rgb) {
  int64_t n = 0;
  for (size_t i = 0; i + 2 < img.rgb.size(); i += 3) {
    n += img.rgb[i] == (rgb >> 16) && img.rgb[i + 1] == ((rgb >> 8) & 255) &&
         img.rgb[i + 2] == (rgb & 255);
  }
  return n;
}

double InkFraction(const Image& img) {
  int64_t ink = 0;
  for (size_t i = 0; i + 2 < img.rgb.size(); i += 3)
    ink += !(img.rgb[i] == 255 && img.rgb[i + 1] == 255 && img.rgb[i + 2] == 255);
  return static_cast<double>(ink) / (static_cast<double>(img.rgb.size()) / 3);
}

::testing::AssertionResult Render(const std::string& svg, const std::string& name, Image* img) {
  const std::filesystem::path dir = ::testing::TempDir();
  const std::string svg_path = (dir / (name + ".svg")).string();
  const std::string png_path = (dir / (name + ".png")).string();
  std::filesystem::remove(png_path);
  if (!WriteFileAtomic(svg_path, svg).ok()) return ::testing::AssertionFailure() << "write svg";
  const std::string cmd = "rsvg-convert -o '" + png_path + "' '" + svg_path + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    return ::testing::AssertionFailure()
           << "rsvg-convert failed on " << svg_path << " (is librsvg2-bin installed? "
           << "scripts/setup.sh installs it)";
  }
  StatusOr<std::string> png = ReadFileToString(png_path);
  if (!png.ok()) return ::testing::AssertionFailure() << png.status().ToString();
  return DecodePng(*png, img);
}

class PlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = std::string(HG_SOURCE_DIR) + "/tests/data/eval/";
    StatusOr<ScoresFile> scores =
        ReadScoreFiles({dir + "oracle_scores.jsonl"}, BadRowPolicy::kFail);
    ASSERT_TRUE(scores.ok()) << scores.status().ToString();
    ReportOptions o;
    StatusOr<guard::Calibration> cal = guard::LoadCalibration(dir + "oracle_calibration.json");
    ASSERT_TRUE(cal.ok());
    o.calibration = *cal;
    StatusOr<EvalReport> rep = BuildReport(scores->records, o);
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();
    report_ = std::move(*rep);
  }
  EvalReport report_;
};

TEST_F(PlotsTest, PrCurveRenders) {
  Image img;
  ASSERT_TRUE(Render(PrCurveSvg(report_), "pr_curve", &img));
  EXPECT_EQ(img.width, 760u);
  EXPECT_EQ(img.height, 500u);
  EXPECT_GT(InkFraction(img), 0.02);
  EXPECT_LT(InkFraction(img), 0.6);
  EXPECT_GT(CountColour(img, 0x000000), 200);  // the pooled curve (2.5 px, black)
  EXPECT_GT(CountColour(img, 0x1f77b4), 50);   // the first dataset's curve
}

TEST_F(PlotsTest, ThresholdSweepRenders) {
  Image img;
  ASSERT_TRUE(Render(ThresholdSweepSvg(report_), "threshold_sweep", &img));
  EXPECT_GT(InkFraction(img), 0.02);
  EXPECT_GT(CountColour(img, 0x1f77b4), 200);  // F1
  EXPECT_GT(CountColour(img, 0xd62728), 200);  // FPR
  EXPECT_GT(CountColour(img, 0xff7f0e), 200);  // FNR
}

TEST_F(PlotsTest, ReliabilityDiagramRenders) {
  Image img;
  ASSERT_TRUE(Render(ReliabilitySvg(report_), "reliability", &img));
  EXPECT_GT(InkFraction(img), 0.02);
  EXPECT_GT(CountColour(img, 0xd62728), 100);  // raw
  EXPECT_GT(CountColour(img, 0x1f77b4), 100);  // calibrated
}

TEST_F(PlotsTest, OddNamesAreEscaped) {
  report_.datasets[0].display_name = "a<b & \"c\"\x01";
  Image img;
  ASSERT_TRUE(Render(PrCurveSvg(report_), "escaped", &img));
  EXPECT_EQ(img.width, 760u);
}

TEST_F(PlotsTest, WritePlotsWritesThreeFiles) {
  const std::string dir = (std::filesystem::path(::testing::TempDir()) / "plots_out").string();
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WritePlots(report_, dir).ok());
  for (const char* f : {"pr_curve.svg", "threshold_sweep.svg", "reliability.svg"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  }
}

}  // namespace
}  // namespace haloguard::eval
