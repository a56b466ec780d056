// SvgChart rendering (see svg_chart.h).
#include "eval/svg_chart.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace haloguard::eval {
namespace {

// Plot-area margins in pixels: room for tick labels (left/bottom), the title (top) and the
// legend (right).
constexpr double kLeft = 70, kRight = 200, kTop = 48, kBottom = 60;
constexpr const char* kFont = "DejaVu Sans, Helvetica, Arial, sans-serif";

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string TickLabel(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", std::abs(v) < 1e-12 ? 0.0 : v);
  return buf;
}

// Maps data coordinates into the plot area.
struct Frame {
  double px0, px1, py0, py1;  // pixels: left, right, bottom, top
  double x0, x1, y0, y1;      // data range
  double X(double x) const { return px0 + (std::clamp(x, x0, x1) - x0) / (x1 - x0) * (px1 - px0); }
  double Y(double y) const { return py0 - (std::clamp(y, y0, y1) - y0) / (y1 - y0) * (py0 - py1); }
};

void Text(std::ostringstream& os, double x, double y, const std::string& s, const char* anchor,
          int size, const char* extra = "") {
  os << "<text x=\"" << Num(x) << "\" y=\"" << Num(y) << "\" text-anchor=\"" << anchor
     << "\" font-size=\"" << size << "\" " << extra << ">" << EscapeXml(s) << "</text>\n";
}

void Axes(std::ostringstream& os, const Frame& f, int ticks) {
  for (int i = 0; i <= ticks; ++i) {
    const double xv = f.x0 + (f.x1 - f.x0) * i / ticks, yv = f.y0 + (f.y1 - f.y0) * i / ticks;
    const double x = f.X(xv), y = f.Y(yv);
    os << "<line x1=\"" << Num(x) << "\" y1=\"" << Num(f.py0) << "\" x2=\"" << Num(x) << "\" y2=\""
       << Num(f.py1) << "\" stroke=\"#e6e6e6\"/>\n"
       << "<line x1=\"" << Num(f.px0) << "\" y1=\"" << Num(y) << "\" x2=\"" << Num(f.px1)
       << "\" y2=\"" << Num(y) << "\" stroke=\"#e6e6e6\"/>\n";
    Text(os, x, f.py0 + 18, TickLabel(xv), "middle", 12);
    Text(os, f.px0 - 8, y + 4, TickLabel(yv), "end", 12);
  }
  os << "<rect x=\"" << Num(f.px0) << "\" y=\"" << Num(f.py1) << "\" width=\"" << Num(f.px1 - f.px0)
     << "\" height=\"" << Num(f.py0 - f.py1) << "\" fill=\"none\" stroke=\"#333333\"/>\n";
}

void Bars(std::ostringstream& os, const Frame& f, const BarSeries& b) {
  for (const BarSeries::Bar& bar : b.bars) {
    const double x = f.X(bar.x0), w = f.X(bar.x1) - x, top = f.Y(bar.y);
    os << "<rect x=\"" << Num(x + 1) << "\" y=\"" << Num(top) << "\" width=\""
       << Num(std::max(0.0, w - 2)) << "\" height=\"" << Num(f.py0 - top) << "\" fill=\"" << b.color
       << "\" fill-opacity=\"" << Num(b.opacity) << "\"/>\n";
  }
}

void Line(std::ostringstream& os, const Frame& f, const LineSeries& s) {
  if (s.points.empty()) return;
  os << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"" << Num(s.width)
     << "\" stroke-linejoin=\"round\"" << (s.dashed ? " stroke-dasharray=\"6 4\"" : "")
     << " points=\"";
  for (const ChartPoint& p : s.points) os << Num(f.X(p.x)) << "," << Num(f.Y(p.y)) << " ";
  os << "\"/>\n";
  if (!s.markers) return;
  for (const ChartPoint& p : s.points) {
    os << "<circle cx=\"" << Num(f.X(p.x)) << "\" cy=\"" << Num(f.Y(p.y)) << "\" r=\"3.5\" fill=\""
       << s.color << "\"/>\n";
  }
}

void VLine(std::ostringstream& os, const Frame& f, const VerticalLine& v) {
  const double x = f.X(v.x);
  os << "<line x1=\"" << Num(x) << "\" y1=\"" << Num(f.py0) << "\" x2=\"" << Num(x) << "\" y2=\""
     << Num(f.py1) << "\" stroke=\"" << v.color << "\" stroke-width=\"1.5\" "
     << "stroke-dasharray=\"3 3\"/>\n";
}

// Legend entries, top to bottom: bars, lines, then the reference lines (whose labels would
// collide with each other if drawn next to close lines inside the plot).
void Legend(std::ostringstream& os, const Frame& f, const std::vector<LineSeries>& lines,
            const std::vector<BarSeries>& bars, const std::vector<VerticalLine>& vlines) {
  double y = f.py1 + 8;
  const double x = f.px1 + 16;
  for (const BarSeries& b : bars) {
    if (b.name.empty()) continue;
    os << "<rect x=\"" << Num(x) << "\" y=\"" << Num(y - 5) << "\" width=\"22\" height=\"10\" "
       << "fill=\"" << b.color << "\" fill-opacity=\"" << Num(b.opacity) << "\"/>\n";
    Text(os, x + 28, y + 4, b.name, "start", 12);
    y += 20;
  }
  for (const LineSeries& s : lines) {
    if (s.name.empty()) continue;
    os << "<line x1=\"" << Num(x) << "\" y1=\"" << Num(y) << "\" x2=\"" << Num(x + 22) << "\" y2=\""
       << Num(y) << "\" stroke=\"" << s.color << "\" stroke-width=\"" << Num(s.width) << "\""
       << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>\n";
    Text(os, x + 28, y + 4, s.name, "start", 12);
    y += 20;
  }
  for (const VerticalLine& v : vlines) {
    if (v.label.empty()) continue;
    os << "<line x1=\"" << Num(x + 11) << "\" y1=\"" << Num(y - 7) << "\" x2=\"" << Num(x + 11)
       << "\" y2=\"" << Num(y + 7) << "\" stroke=\"" << v.color << "\" stroke-width=\"1.5\" "
       << "stroke-dasharray=\"3 3\"/>\n";
    Text(os, x + 28, y + 4, v.label, "start", 12);
    y += 20;
  }
}

}  // namespace

SvgChart::SvgChart(std::string title, std::string x_label, std::string y_label)
    : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

void SvgChart::SetRange(double x0, double x1, double y0, double y1, int ticks) {
  x0_ = x0;
  x1_ = x1 > x0 ? x1 : x0 + 1;
  y0_ = y0;
  y1_ = y1 > y0 ? y1 : y0 + 1;
  ticks_ = std::max(1, ticks);
}

std::string SvgChart::Render(int width, int height) const {
  const Frame f{kLeft, width - kRight, height - kBottom, kTop, x0_, x1_, y0_, y1_};
  std::ostringstream os;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
     << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << width
     << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height
     << "\" font-family=\"" << kFont << "\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  Text(os, (f.px0 + f.px1) / 2, 28, title_, "middle", 16, "font-weight=\"bold\"");
  Axes(os, f, ticks_);
  for (const BarSeries& b : bars_) Bars(os, f, b);
  for (const VerticalLine& v : vlines_) VLine(os, f, v);
  for (const LineSeries& s : lines_) Line(os, f, s);
  Legend(os, f, lines_, bars_, vlines_);
  Text(os, (f.px0 + f.px1) / 2, height - 18, x_label_, "middle", 13);
  const std::string rotate = "transform=\"rotate(-90 18 " + Num((f.py0 + f.py1) / 2) + ")\"";
  Text(os, 18, (f.py0 + f.py1) / 2, y_label_, "middle", 13, rotate.c_str());
  os << "</svg>\n";
  return os.str();
}

std::string EscapeXml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids C0 controls other than tab, LF and CR.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += c;
    }
  }
  return out;
}

const char* SeriesColor(size_t i) {
  static constexpr std::array<const char*, 10> kColors = {
      "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kColors[i % kColors.size()];
}

}  // namespace haloguard::eval
