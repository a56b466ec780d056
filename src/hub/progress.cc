// Progress bar / plain progress lines for downloads.
#include "hub/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace haloguard::hub {

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 4) {
    bytes /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

Progress::Progress(bool enabled, FILE* out, int is_tty)
    : enabled_(enabled), out_(out), tty_(is_tty < 0 ? ::isatty(fileno(out)) != 0 : is_tty != 0) {}

void Progress::Start(const std::string& name, uint64_t total, uint64_t done) {
  name_ = name;
  total_ = total;
  done_ = start_done_ = done;
  last_quarter_ = total ? static_cast<int>(4 * done / total) : 0;
  start_ = last_draw_ = Clock::now();
  if (!enabled_) return;
  if (tty_) {
    Draw(false);
  } else {
    std::fprintf(out_, "downloading %s (%s)%s\n", name_.c_str(),
                 total_ ? HumanBytes(static_cast<double>(total_)).c_str() : "size unknown",
                 done ? (", resuming at " + HumanBytes(static_cast<double>(done))).c_str() : "");
  }
}

void Progress::Advance(uint64_t bytes) {
  done_ += bytes;
  if (!enabled_) return;
  const auto now = Clock::now();
  if (tty_) {
    if (now - last_draw_ >= std::chrono::milliseconds(100)) Draw(false);
    return;
  }
  const int quarter = total_ ? static_cast<int>(4 * std::min(done_, total_) / total_) : 0;
  if (quarter > last_quarter_ && quarter < 4) {
    last_quarter_ = quarter;
    std::fprintf(out_, "  %s: %d%%\n", name_.c_str(), 25 * quarter);
  }
}

void Progress::Finish(bool ok) {
  if (!enabled_) return;
  if (tty_) {
    Draw(true);
    std::fputc('\n', out_);
  } else if (ok) {
    const double s = std::max(SecondsSince(start_), 1e-6);
    std::fprintf(out_, "  %s: done, %s in %.1f s (%s/s)\n", name_.c_str(),
                 HumanBytes(static_cast<double>(done_)).c_str(), s,
                 HumanBytes(static_cast<double>(done_ - start_done_) / s).c_str());
  }
  std::fflush(out_);
}

void Progress::Draw(bool final) {
  last_draw_ = Clock::now();
  const double elapsed = std::max(SecondsSince(start_), 1e-6);
  const double rate = static_cast<double>(done_ - start_done_) / elapsed;
  constexpr int kWidth = 24;
  const double frac = total_ ? std::min(1.0, static_cast<double>(done_) / total_) : 0.0;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  std::string eta = "--:--";
  // The first second's rate is mostly connection setup; an ETA from it is noise.
  if (total_ && rate > 0 && !final && elapsed >= 1.0) {
    const long secs = static_cast<long>(static_cast<double>(total_ - std::min(done_, total_)) / rate);
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%ld:%02ld", secs / 60, secs % 60);
    eta = buf;
  }
  std::string name = name_.size() > 28 ? "..." + name_.substr(name_.size() - 25) : name_;
  std::fprintf(out_, "\r%-28s [%s] %3.0f%% %9s / %-9s %9s/s ETA %s\x1b[K", name.c_str(),
               bar.c_str(), 100 * frac, HumanBytes(static_cast<double>(done_)).c_str(),
               total_ ? HumanBytes(static_cast<double>(total_)).c_str() : "?",
               HumanBytes(rate).c_str(), eta.c_str());
  std::fflush(out_);
}

}  // namespace haloguard::hub
