// Tests for WindowPlan: every window equals guard::SplitWindows (the card's windows) over a grid
// of token counts, lengths and strides; bad parameters are refused.
#include "monitor/window_plan.h"

#include <gtest/gtest.h>

#include "guard/windows.h"

namespace haloguard::monitor {
namespace {

TEST(WindowPlan, MatchesSplitWindows) {
  const std::pair<int64_t, int64_t> shapes[] = {{1, 1}, {2, 1},  {5, 2},      {5, 5},
                                                {7, 3}, {16, 4}, {1200, 256}, {1200, 1200}};
  int checked = 0;
  for (auto [length, stride] : shapes) {
    for (int64_t n = 0; n <= 4 * length + 2 * stride + 3; n += (length > 100 ? 37 : 1)) {
      auto expected = guard::SplitWindows(n, length, stride);
      ASSERT_TRUE(expected.ok());
      auto plan = WindowPlan::Make(n, length, stride);
      ASSERT_TRUE(plan.ok()) << plan.status().message();
      ASSERT_EQ(plan->count(), static_cast<int64_t>(expected->size()))
          << "n=" << n << " L=" << length << " S=" << stride;
      for (int64_t k = 0; k < plan->count(); ++k) {
        EXPECT_EQ(plan->At(k).begin, (*expected)[k].begin);
        EXPECT_EQ(plan->At(k).end, (*expected)[k].end);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(WindowPlan, HugeDocumentNeedsNoWindowList) {
  auto plan = WindowPlan::Make(int64_t{1} << 40, 1200, 256);
  ASSERT_TRUE(plan.ok());
  const int64_t last = plan->count() - 1;
  EXPECT_EQ(plan->At(last).end, int64_t{1} << 40);
  EXPECT_LT(plan->At(last).begin + 1200 - 256, int64_t{1} << 40);  // the previous one fell short
}

TEST(WindowPlan, RefusesBadParameters) {
  EXPECT_EQ(WindowPlan::Make(-1, 10, 5).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WindowPlan::Make(10, 0, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WindowPlan::Make(10, 4, 0).status().code(), StatusCode::kInvalidArgument);
  auto over = WindowPlan::Make(10, 4, 5);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("expected 1..4, got 5"), std::string::npos)
      << over.status().message();
}

}  // namespace
}  // namespace haloguard::monitor
