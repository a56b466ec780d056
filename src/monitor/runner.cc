// RunJob implementation: tokenize once, walk the window plan in calls of a few windows, keep the
// riskiest window (first on ties) and the spans of every scored window.
#include "monitor/runner.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/utf8.h"
#include "monitor/text_span.h"
#include "monitor/window_plan.h"

namespace haloguard::monitor {
namespace {

constexpr std::string_view kMessageSeparator = "\n\n";

// Token spans must be ordered and inside the text, or windows map to nonsense (and the code
// point counters, which only move forward, would abort).
Status CheckSpans(const guard::TokenizedText& t, size_t text_size) {
  if (t.spans.size() != t.ids.size()) {
    return InternalError("monitor: classifier Tokenize gave " + std::to_string(t.ids.size()) +
                         " ids but " + std::to_string(t.spans.size()) +
                         " spans; expected one span per id");
  }
  size_t prev_begin = 0, prev_end = 0;
  for (size_t i = 0; i < t.spans.size(); ++i) {
    const auto [b, e] = t.spans[i];
    if (b < prev_begin || e < prev_end || b > e || e > text_size) {
      return InternalError("monitor: token " + std::to_string(i) + " span [" + std::to_string(b) +
                           ", " + std::to_string(e) + ") out of order or outside the text of " +
                           std::to_string(text_size) + " bytes");
    }
    prev_begin = b;
    prev_end = e;
  }
  return OkStatus();
}

// Windows and their text spans, one call's worth at a time.
class WindowWalker {
 public:
  WindowWalker(const MonitoredText& in, size_t strip_begin, const guard::TokenizedText& tokens,
               const WindowPlan& plan)
      : in_(in),
        offset_(strip_begin),
        tokens_(tokens),
        plan_(plan),
        begins_(in.text),
        ends_(in.text) {}

  std::vector<int32_t> Ids(int64_t k) const {
    const guard::Window w = plan_.At(k);
    return {tokens_.ids.begin() + w.begin, tokens_.ids.begin() + w.end};
  }

  // Spans must be asked for in window order (the code point counters only move forward).
  WindowScore Score(int64_t k, const guard::WindowVerdict& v) {
    const guard::Window w = plan_.At(k);
    WindowScore s{k, w.begin, w.end, {}, v.p_unsafe, v.unsafe, v.category};
    const std::string_view text = in_.text;
    s.span.byte_begin = static_cast<int64_t>(
        RoundDownToCodepoint(text, offset_ + tokens_.spans[static_cast<size_t>(w.begin)].first));
    s.span.byte_end = static_cast<int64_t>(
        RoundUpToCodepoint(text, offset_ + tokens_.spans[static_cast<size_t>(w.end - 1)].second));
    s.span.byte_end = std::max(s.span.byte_end, s.span.byte_begin);
    s.span.char_begin = begins_.At(static_cast<size_t>(s.span.byte_begin));
    s.span.char_end = ends_.At(static_cast<size_t>(s.span.byte_end));
    return s;
  }

 private:
  const MonitoredText& in_;
  size_t offset_;
  const guard::TokenizedText& tokens_;
  const WindowPlan& plan_;
  CodepointCounter begins_, ends_;
};

// [first, last] messages overlapping the byte span [b, e).
std::pair<int, int> MessagesOverlapping(const MonitoredText& in, int64_t b, int64_t e) {
  int first = -1, last = -1;
  for (size_t i = 0; i < in.messages.size(); ++i) {
    const auto [mb, me] = in.messages[i];
    if (static_cast<int64_t>(me) > b && static_cast<int64_t>(mb) < e) {
      if (first < 0) first = static_cast<int>(i);
      last = static_cast<int>(i);
    }
  }
  return {first, last};
}

void WaitForForeground(const RunOptions& o, const RunHooks& h) {
  if (!o.foreground_busy) return;
  while (o.foreground_busy() && !(h.should_stop && h.should_stop())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(o.gate_poll_ms));
  }
}

// Scores windows [k, k + count) and folds them into `r`. Returns true to stop early.
// `should_stop` is passed on: the classifier polls it between chunks of work.
StatusOr<bool> ScoreCall(guard::Classifier& c, WindowWalker& walker, int64_t k, int64_t count,
                         bool stop_on_unsafe, const std::function<bool()>& should_stop,
                         JobResult& r) {
  std::vector<std::vector<int32_t>> windows;
  for (int64_t i = 0; i < count; ++i) windows.push_back(walker.Ids(k + i));
  std::vector<StatusOr<guard::WindowVerdict>> verdicts = c.ScoreWindows(windows, true, should_stop);
  if (static_cast<int64_t>(verdicts.size()) != count) {
    return InternalError("monitor: ScoreWindows returned " + std::to_string(verdicts.size()) +
                         " verdicts for " + std::to_string(count) + " windows");
  }
  for (int64_t i = 0; i < count; ++i) {
    if (!verdicts[i].ok() && verdicts[i].status().code() == StatusCode::kCancelled) {
      return CancelledError("monitor: job cancelled");
    }
    if (!verdicts[i].ok())
      return verdicts[i].status().WithPrefix("window " + std::to_string(k + i));
    const guard::WindowVerdict& v = *verdicts[i];
    r.windows.push_back(walker.Score(k + i, v));
    if (r.windows.size() == 1 || v.p_unsafe > r.p_unsafe) {
      r.selected_window = k + i;
      r.p_unsafe = v.p_unsafe;
      r.unsafe = v.unsafe;
      r.category = v.category;
      r.action = v.action;
      r.threshold = v.threshold;
      r.category_scores = v.category_scores;
    }
    if (stop_on_unsafe && v.unsafe) return true;
  }
  return false;
}

}  // namespace

MonitoredText BuildMonitoredText(JobSpec&& spec) {
  MonitoredText out;
  if (!spec.is_messages) {
    out.text = std::move(spec.document);
    return out;
  }
  for (size_t i = 0; i < spec.messages.size(); ++i) {
    if (i > 0) out.text += kMessageSeparator;
    const size_t begin = out.text.size();
    out.text += spec.messages[i].content;
    out.messages.emplace_back(begin, out.text.size());
  }
  return out;
}

StatusOr<JobResult> RunJob(guard::Classifier& classifier, const MonitoredText& input,
                           bool stop_on_unsafe, const RunOptions& options, const RunHooks& hooks) {
  HG_RETURN_IF_ERROR(ValidateUtf8(input.text).WithPrefix("monitor: input"));
  const auto [strip_begin, strip_end] = PythonStripBounds(input.text);
  if (strip_begin == strip_end) {
    return InvalidArgumentError(
        "monitor: input is empty after stripping whitespace; expected "
        "some text");
  }
  const std::string_view content =
      std::string_view(input.text).substr(strip_begin, strip_end - strip_begin);
  HG_ASSIGN_OR_RETURN(guard::TokenizedText tokens, classifier.Tokenize(content));
  HG_RETURN_IF_ERROR(CheckSpans(tokens, content.size()));
  if (tokens.ids.empty()) {
    return InvalidArgumentError("monitor: input tokenizes to no tokens; expected at least one");
  }
  const guard::ModelInfo& info = classifier.info();
  HG_ASSIGN_OR_RETURN(WindowPlan plan, WindowPlan::Make(static_cast<int64_t>(tokens.ids.size()),
                                                        info.window_length, info.window_stride));
  JobResult r;
  r.window_count = plan.count();
  r.input_tokens = plan.num_tokens();
  r.input_bytes = static_cast<int64_t>(input.text.size());
  r.input_chars = CodepointCounter(input.text).At(input.text.size());
  if (hooks.on_total) hooks.on_total(plan.count());
  WindowWalker walker(input, strip_begin, tokens, plan);
  const int64_t per_call = std::max(1, options.windows_per_call);
  for (int64_t k = 0; k < plan.count(); k += per_call) {
    WaitForForeground(options, hooks);
    if (hooks.should_stop && hooks.should_stop()) return CancelledError("monitor: job cancelled");
    HG_ASSIGN_OR_RETURN(
        bool stop,
        ScoreCall(classifier, walker, k, std::min(per_call, plan.count() - k), stop_on_unsafe,
                  hooks.should_stop, r));
    if (hooks.on_progress) hooks.on_progress(static_cast<int64_t>(r.windows.size()));
    if (stop) break;
  }
  r.windows_scored = static_cast<int64_t>(r.windows.size());
  r.stopped_early = r.windows_scored < r.window_count;
  const WindowScore& sel = r.windows[static_cast<size_t>(r.selected_window)];
  std::tie(r.message_begin, r.message_end) =
      MessagesOverlapping(input, sel.span.byte_begin, sel.span.byte_end);
  return r;
}

}  // namespace haloguard::monitor
