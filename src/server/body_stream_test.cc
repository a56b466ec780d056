// BodyStream: the producer/I-O-thread contract (order, backpressure and its wake-up, end
// states, a closed client).
#include "server/body_stream.h"

#include <gtest/gtest.h>

namespace haloguard::server {
namespace {

TEST(BodyStream, BytesComeOutInOrderAndNotifyIsCoalesced) {
  BodyStream s(100);
  int notified = 0;
  s.Attach([&] { ++notified; });
  EXPECT_TRUE(s.Write("ab"));
  EXPECT_TRUE(s.Write("cd"));
  EXPECT_EQ(notified, 1);  // one wake-up until the server takes
  BodyStream::Piece p = s.Take(3);
  EXPECT_EQ(p.bytes, "abc");
  EXPECT_FALSE(p.finished);
  p = s.Take(10);
  EXPECT_EQ(p.bytes, "d");
  EXPECT_TRUE(s.Write("e"));
  EXPECT_EQ(notified, 2);
  s.Finish();
  p = s.Take(10);
  EXPECT_EQ(p.bytes, "e");
  EXPECT_TRUE(p.finished);
  EXPECT_FALSE(s.Write("late"));  // after Finish
}

TEST(BodyStream, WritesBeforeAttachAreKeptAndAnnounced) {
  BodyStream s(100);
  s.Write("early");
  s.Finish();
  int notified = 0;
  s.Attach([&] { ++notified; });
  EXPECT_EQ(notified, 1);
  BodyStream::Piece p = s.Take(100);
  EXPECT_EQ(p.bytes, "early");
  EXPECT_TRUE(p.finished);
}

TEST(BodyStream, FullThenDrainedBelowHalfCallsWritableOnce) {
  BodyStream s(10);
  int writable = 0;
  s.SetWritableCallback([&] { ++writable; });
  s.Attach([] {});
  EXPECT_FALSE(s.Full());
  s.Write("0123456789");
  EXPECT_TRUE(s.Full());
  s.Take(2);  // 8 left: still above half
  EXPECT_EQ(writable, 0);
  s.Take(4);  // 4 left: below half + 1
  EXPECT_EQ(writable, 1);
  s.Take(4);
  EXPECT_EQ(writable, 1);  // once per Full()
}

TEST(BodyStream, NoWritableCallbackWithoutBackpressure) {
  BodyStream s(10);
  int writable = 0;
  s.SetWritableCallback([&] { ++writable; });
  s.Write("abc");
  s.Take(10);
  EXPECT_EQ(writable, 0);
}

TEST(BodyStream, AbortIsReportedAfterTheQueuedBytes) {
  BodyStream s(100);
  s.Write("partial");
  s.Abort();
  BodyStream::Piece p = s.Take(3);
  EXPECT_EQ(p.bytes, "par");
  EXPECT_FALSE(p.aborted);  // bytes first
  p = s.Take(100);
  EXPECT_EQ(p.bytes, "tial");
  EXPECT_TRUE(p.aborted);
  EXPECT_FALSE(p.finished);
}

TEST(BodyStream, ClosedClientDropsWritesAndWakesTheProducer) {
  BodyStream s(100);
  int writable = 0;
  s.SetWritableCallback([&] { ++writable; });
  s.Write("x");
  s.MarkClosed();
  EXPECT_TRUE(s.Closed());
  EXPECT_EQ(writable, 1);
  EXPECT_FALSE(s.Write("y"));
  EXPECT_EQ(s.Take(100).bytes, "");
  s.MarkClosed();
  EXPECT_EQ(writable, 1);  // idempotent
}

}  // namespace
}  // namespace haloguard::server
