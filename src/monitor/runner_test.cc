// Tests for RunJob: windows and the riskiest window against a brute-force oracle over the card's
// windows, spans (bytes and code points) against hand-computed offsets, stop_on_unsafe,
// cancellation, the foreground gate, and classifier errors. Classifiers are fakes.
#include "monitor/runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "core/utf8.h"
#include "monitor/testing/contended_classifier.h"
#include "server/testing/fake_classifier.h"

namespace haloguard::monitor {
namespace {

using server::testing::FakeClassifier;
using server::testing::FakeTokenId;

// The server's FakeClassifier (one token per ASCII word, "phishing" marks a window unsafe) with
// a chosen window shape; records every ScoreWindows call. With `graded`, p_unsafe = 0.3 * the
// number of "phishing" tokens in the window (capped at 0.99), so windows can differ and tie.
class TestClassifier : public FakeClassifier {
 public:
  TestClassifier(int64_t length, int64_t stride, bool graded = false) : graded_(graded) {
    info_ = FakeClassifier::info();
    info_.window_length = length;
    info_.window_stride = stride;
  }
  const guard::ModelInfo& info() const override { return info_; }
  std::vector<StatusOr<guard::WindowVerdict>> ScoreWindows(
      std::span<const std::vector<int32_t>> windows, bool background,
      const std::function<bool()>& should_stop) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(static_cast<int>(windows.size()));
      all_background_ = all_background_ && background;
    }
    auto out = FakeClassifier::ScoreWindows(windows, background, should_stop);
    for (size_t i = 0; i < windows.size(); ++i) {
      if (fail_window_ >= 0 && scored_++ == fail_window_) {
        out[i] = InternalError("fake: scoring failed");
        continue;
      }
      if (!graded_) continue;
      const auto n = std::count(windows[i].begin(), windows[i].end(), FakeTokenId("phishing"));
      out[i]->p_unsafe = std::min(0.99, 0.3 * static_cast<double>(n));
      out[i]->unsafe = out[i]->p_unsafe >= 0.65;
      out[i]->category = out[i]->unsafe ? "fraud_and_social_engineering" : "none";
      out[i]->category_scores[0].score = static_cast<double>(n);  // tags the window
    }
    return out;
  }
  std::vector<int> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  bool all_background() const { return all_background_; }
  int64_t fail_window_ = -1;

 private:
  guard::ModelInfo info_;
  bool graded_;
  mutable std::mutex mu_;
  std::vector<int> calls_;
  bool all_background_ = true;
  int64_t scored_ = 0;
};

// "w0 w1 ... w{n-1}" with "phishing" at the given word positions; word i's byte offsets.
struct Doc {
  std::string text;
  std::vector<std::pair<size_t, size_t>> words;
};
Doc MakeDoc(int n, const std::vector<int>& markers, const std::string& lead = "") {
  Doc d;
  d.text = lead;
  for (int i = 0; i < n; ++i) {
    if (i > 0) d.text += ' ';
    const bool m = std::find(markers.begin(), markers.end(), i) != markers.end();
    const size_t b = d.text.size();
    d.text += m ? "phishing" : "w" + std::to_string(i);
    d.words.emplace_back(b, d.text.size());
  }
  return d;
}

MonitoredText Input(std::string text) {
  MonitoredText m;
  m.text = std::move(text);
  return m;
}

TEST(RunJob, PicksTheFirstWindowHoldingTheMarkerAsTheCardsWindowsDo) {
  TestClassifier c(1200, 256);
  const int n = 3000, marker = 1500;
  const Doc d = MakeDoc(n, {marker});
  auto r = RunJob(c, Input(d.text), false, RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Oracle: brute force over the card's windows [256k, min(256k + 1200, n)).
  int64_t count = 0, first = -1;
  for (int64_t s = 0;; s += 256, ++count) {
    if (first < 0 && s <= marker && marker < s + 1200) first = count;
    if (s + 1200 >= n) {
      ++count;
      break;
    }
  }
  EXPECT_EQ(r->window_count, count);
  EXPECT_EQ(r->windows_scored, count);
  EXPECT_FALSE(r->stopped_early);
  EXPECT_EQ(r->selected_window, first);
  EXPECT_TRUE(r->unsafe);
  EXPECT_EQ(r->category, "fraud_and_social_engineering");
  EXPECT_DOUBLE_EQ(r->p_unsafe, 0.97);
  EXPECT_EQ(r->input_tokens, n);
  for (const WindowScore& w : r->windows) {
    const bool holds = w.token_begin <= marker && marker < w.token_end;
    EXPECT_EQ(w.unsafe, holds) << w.index;
    EXPECT_EQ(w.span.byte_begin, static_cast<int64_t>(d.words[w.token_begin].first));
    EXPECT_EQ(w.span.byte_end, static_cast<int64_t>(d.words[w.token_end - 1].second));
    EXPECT_EQ(w.span.char_begin, w.span.byte_begin);  // ASCII
  }
  EXPECT_TRUE(c.all_background());
  for (int size : c.calls()) EXPECT_LE(size, RunOptions{}.windows_per_call);
}

TEST(RunJob, ShortSafeTextIsOneWindow) {
  TestClassifier c(1200, 256);
  auto r = RunJob(c, Input("  hello there\n"), false, RunOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->window_count, 1);
  EXPECT_FALSE(r->unsafe);
  EXPECT_EQ(r->category, "none");
  EXPECT_EQ(r->action, "allow");
  EXPECT_EQ(r->windows[0].span.byte_begin, 2);
  EXPECT_EQ(r->windows[0].span.byte_end, 13);
  EXPECT_EQ(r->message_begin, -1);
}

TEST(RunJob, RiskiestWindowIsTheMaximumFirstOnTies) {
  TestClassifier c(4, 2, /*graded=*/true);
  // 10 tokens, windows [0,4) [2,6) [4,8) [6,10); markers at 3,5,6,7 -> counts 1,2,3,2.
  auto r = RunJob(c, Input(MakeDoc(10, {3, 5, 6, 7}).text), false, RunOptions{});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->window_count, 4);
  EXPECT_EQ(r->selected_window, 2);
  EXPECT_NEAR(r->p_unsafe, 0.9, 1e-12);
  EXPECT_EQ(r->category_scores[0].score, 3.0);  // the riskiest window's own scores
  // markers at 4,5 -> counts 0,2,2,0: the first of the tied windows wins.
  r = RunJob(c, Input(MakeDoc(10, {4, 5}).text), false, RunOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->selected_window, 1);
  EXPECT_FALSE(r->unsafe);  // 0.6 < 0.65
}

TEST(RunJob, StopOnUnsafeStopsAtTheFirstUnsafeWindow) {
  TestClassifier c(4, 2);
  RunOptions o;
  o.windows_per_call = 1;
  auto r = RunJob(c, Input(MakeDoc(20, {5}).text), /*stop_on_unsafe=*/true, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->window_count, 9);
  EXPECT_EQ(r->windows_scored, 2);  // [0,4) safe, [2,6) holds token 5
  EXPECT_TRUE(r->stopped_early);
  EXPECT_EQ(r->selected_window, 1);
  EXPECT_EQ(c.calls().size(), 2u);
  // Without the flag every window is scored.
  r = RunJob(c, Input(MakeDoc(20, {5}).text), false, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->windows_scored, 9);
  EXPECT_FALSE(r->stopped_early);
}

TEST(RunJob, SpansCoverWholeCodePointsAndCountCodePoints) {
  TestClassifier c(4, 2);
  // U+3000 is stripped; the fake tokenizes "\xC3\xA9" (é) and "日" byte by byte, so windows
  // start and end inside characters. Full-text bytes: U+3000 0-2, a 3, b 4, ' ' 5, é 6-7,
  // 日 8-10, ' ' 11, x 12. Tokens: ab, C3, A9, E6, 97, A5, x; windows [0,4) [2,6) [4,7).
  const std::string text =
      "\xE3\x80\x80"
      "ab \xC3\xA9\xE6\x97\xA5 x";
  auto r = RunJob(c, Input(text), false, RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->window_count, 3);
  const int64_t want[3][4] = {{3, 11, 1, 6}, {6, 11, 4, 6}, {8, 13, 5, 8}};
  std::vector<uint32_t> cps;
  for (size_t i = 0; i < text.size();) cps.push_back(DecodeUtf8(text, i));
  for (int k = 0; k < 3; ++k) {
    const TextSpan& s = r->windows[k].span;
    EXPECT_EQ(s.byte_begin, want[k][0]) << k;
    EXPECT_EQ(s.byte_end, want[k][1]) << k;
    EXPECT_EQ(s.char_begin, want[k][2]) << k;
    EXPECT_EQ(s.char_end, want[k][3]) << k;
    std::string from_chars;  // Python's text[char_begin:char_end], encoded
    for (int64_t i = s.char_begin; i < s.char_end; ++i) AppendUtf8(cps[i], from_chars);
    EXPECT_EQ(from_chars, text.substr(s.byte_begin, s.byte_end - s.byte_begin)) << k;
  }
  EXPECT_EQ(r->input_chars, 8);
  EXPECT_EQ(r->input_bytes, 13);
}

TEST(RunJob, MessagesAreAllMonitoredAndTheRiskyOnesNamed) {
  JobSpec spec;
  spec.is_messages = true;
  spec.messages = {{"system", "be helpful"},
                   {"user", "w1 w2"},
                   {"assistant", ""},
                   {"user", "then phishing w3"},
                   {"user", "w4"}};
  const MonitoredText in = BuildMonitoredText(std::move(spec));
  EXPECT_EQ(in.text, "be helpful\n\nw1 w2\n\n\n\nthen phishing w3\n\nw4");
  ASSERT_EQ(in.messages.size(), 5u);
  EXPECT_EQ(in.text.substr(in.messages[3].first, in.messages[3].second - in.messages[3].first),
            "then phishing w3");
  TestClassifier c(3, 1);
  auto r = RunJob(c, in, false, RunOptions{});
  ASSERT_TRUE(r.ok());
  // Tokens: be helpful w1 w2 then phishing w3 w4; the first window holding "phishing" (token 5)
  // is [3, 6) = w2 then phishing: messages 1..3.
  EXPECT_EQ(r->selected_window, 3);
  EXPECT_EQ(r->message_begin, 1);
  EXPECT_EQ(r->message_end, 3);
}

TEST(RunJob, CancelsBetweenCalls) {
  TestClassifier c(4, 2);
  RunOptions o;
  o.windows_per_call = 2;
  std::atomic<int> progress{0};
  RunHooks h;
  int64_t total = 0;
  h.on_total = [&](int64_t t) { total = t; };
  h.on_progress = [&](int64_t done) { progress = static_cast<int>(done); };
  h.should_stop = [&] { return progress.load() >= 2; };
  auto r = RunJob(c, Input(MakeDoc(20, {}).text), false, o, h);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(total, 9);
  EXPECT_EQ(c.calls().size(), 1u);
}

TEST(RunJob, CancelsInsideACallBetweenChunks) {
  // A call of 4 windows x 200 chunks: without the poll between chunks the cancel would wait for
  // all 800 chunks. The hook turns true on its 4th poll (RunJob polls once before the call);
  // the job must end after exactly those polls, i.e. within the chunk that was running.
  testing::ContendedOptions co;
  co.window_cost_ms = 200;
  co.chunk_ms = 1;
  testing::ContendedClassifier c(co);
  RunOptions o;
  o.windows_per_call = 4;
  int polls = 0;
  RunHooks h;
  h.should_stop = [&] { return ++polls >= 4; };
  auto r = RunJob(c, Input(MakeDoc(20, {}).text), false, o, h);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_EQ(polls, 4);
}

TEST(RunJob, WaitsWhileTheForegroundIsBusy) {
  TestClassifier c(4, 2);
  RunOptions o;
  o.gate_poll_ms = 1;
  std::atomic<int> polls{0};
  o.foreground_busy = [&] {
    const bool busy = ++polls <= 5;
    if (busy) {
      EXPECT_TRUE(c.calls().empty());  // nothing scored while the lane is busy
    }
    return busy;
  };
  auto r = RunJob(c, Input("w1 w2"), false, o);
  ASSERT_TRUE(r.ok());
  EXPECT_GE(polls.load(), 6);
}

TEST(RunJob, RefusesTextsItCannotMonitor) {
  TestClassifier c(4, 2);
  EXPECT_EQ(RunJob(c, Input(" \n\xE3\x80\x80"), false, RunOptions{}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunJob(c, Input("ok \xFF"), false, RunOptions{}).status().code(),
            StatusCode::kInvalidArgument);
  c.fail_window_ = 3;
  auto r = RunJob(c, Input(MakeDoc(20, {}).text), false, RunOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("window 3: fake: scoring failed"), std::string::npos)
      << r.status().message();
}

// Tokenize results that break the contract are reported, never trusted.
class BadSpans : public TestClassifier {
 public:
  BadSpans() : TestClassifier(4, 2) {}
  StatusOr<guard::TokenizedText> Tokenize(std::string_view text) const override {
    auto t = TestClassifier::Tokenize(text);
    if (t.ok() && t->spans.size() > 1) std::swap(t->spans[0], t->spans[1]);
    return t;
  }
};

TEST(RunJob, ReportsTokenSpansOutOfOrder) {
  BadSpans c;
  auto r = RunJob(c, Input("a b c"), false, RunOptions{});
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace haloguard::monitor
