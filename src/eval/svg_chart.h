// A small SVG line/bar chart writer for the evaluation plots (no plotting library): axes, grid,
// ticks, line series with optional markers, bars, vertical reference lines and a legend.
// Data coordinates are clipped to the chart's range. Output is standalone SVG 1.1.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace haloguard::eval {

struct ChartPoint {
  double x = 0, y = 0;
};

struct LineSeries {
  std::string name;  // legend text ("" = not in the legend)
  std::vector<ChartPoint> points;
  std::string color = "#1f77b4";
  double width = 2;
  bool dashed = false;
  bool markers = false;
};

struct BarSeries {
  std::string name;
  struct Bar {
    double x0 = 0, x1 = 0, y = 0;  // from the x axis up to y
  };
  std::vector<Bar> bars;
  std::string color = "#bbbbbb";
  double opacity = 0.6;
};

struct VerticalLine {
  double x = 0;
  std::string label;  // legend text
  std::string color = "#555555";
};

class SvgChart {
 public:
  SvgChart(std::string title, std::string x_label, std::string y_label);

  // Data range shown (default [0,1] x [0,1]); `ticks` divisions per axis (default 10).
  void SetRange(double x0, double x1, double y0, double y1, int ticks = 10);
  void Add(LineSeries s) { lines_.push_back(std::move(s)); }
  void Add(BarSeries b) { bars_.push_back(std::move(b)); }
  void Add(VerticalLine v) { vlines_.push_back(std::move(v)); }

  // The SVG document, `width` x `height` pixels. Thread-compatible (const).
  std::string Render(int width = 760, int height = 500) const;

 private:
  std::string title_, x_label_, y_label_;
  double x0_ = 0, x1_ = 1, y0_ = 0, y1_ = 1;
  int ticks_ = 10;
  std::vector<LineSeries> lines_;
  std::vector<BarSeries> bars_;
  std::vector<VerticalLine> vlines_;
};

// Text with &, <, >, " and ' escaped for XML, and C0 controls (other than tab/LF/CR) dropped.
std::string EscapeXml(std::string_view s);
// A distinct colour for series i (Tableau-10, cycling).
const char* SeriesColor(size_t i);

}  // namespace haloguard::eval
