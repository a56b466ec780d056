// ProgressBar (see progress.h).
#include "eval/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace haloguard::eval {
namespace {

// Redraw no more than this often on a terminal.
constexpr double kRedrawSeconds = 0.1;
constexpr int kBarWidth = 28;

std::string FormatDuration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = static_cast<int64_t>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", (long long)(t / 3600),
                  (long long)(t % 3600 / 60));
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", (long long)(t / 60), (long long)(t % 60));
  else
    std::snprintf(buf, sizeof buf, "%llds", (long long)t);
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(int64_t total, int64_t already_done, std::string label, bool enabled,
                         FILE* out)
    : total_(std::max<int64_t>(total, 0)),
      done_(already_done),
      start_done_(already_done),
      label_(std::move(label)),
      enabled_(enabled && out != nullptr),
      tty_(out != nullptr && ::isatty(::fileno(out)) == 1),
      out_(out),
      start_(Clock::now()),
      last_draw_(start_) {
  Draw(/*force=*/true);
}

ProgressBar::~ProgressBar() { Finish(); }

std::string ProgressBar::FormatStatus(int64_t done, int64_t total, double rate_per_s) {
  const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const double eta = rate_per_s > 0 ? static_cast<double>(total - done) / rate_per_s : NAN;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%lld/%lld %3d%%  %.1f/s  ETA %s", (long long)done,
                (long long)total, static_cast<int>(std::floor(frac * 100)), rate_per_s,
                FormatDuration(eta).c_str());
  return buf;
}

void ProgressBar::Advance(int64_t n, std::string_view detail) {
  done_ = std::min(done_ + n, total_);
  if (!detail.empty()) detail_ = std::string(detail);
  Draw(/*force=*/false);
}

void ProgressBar::Draw(bool force) {
  if (!enabled_ || finished_) return;
  const auto now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - start_done_) / elapsed : 0;
  const std::string status = FormatStatus(done_, total_, rate);
  if (tty_) {
    if (!force && std::chrono::duration<double>(now - last_draw_).count() < kRedrawSeconds) return;
    const int filled = total_ > 0 ? static_cast<int>(kBarWidth * done_ / total_) : kBarWidth;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kBarWidth, '.');
    std::fprintf(out_, "\r%s [%s] %s %s\x1b[K", label_.c_str(), bar.c_str(), status.c_str(),
                 detail_.c_str());
  } else {
    const int decile = total_ > 0 ? static_cast<int>(10 * done_ / total_) : 10;
    if (!force && decile == last_decile_) return;
    last_decile_ = decile;
    std::fprintf(out_, "%s: %s %s\n", label_.c_str(), status.c_str(), detail_.c_str());
  }
  last_draw_ = now;
  std::fflush(out_);
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  if (tty_ || last_decile_ != 10) Draw(/*force=*/true);
  if (tty_) std::fputc('\n', out_);
  std::fflush(out_);
  finished_ = true;
}

}  // namespace haloguard::eval
