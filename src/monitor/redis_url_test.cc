// Tests for ParseRedisUrl: accepted forms, defaults, and errors that never echo the password.
#include <gtest/gtest.h>

#include "monitor/redis_client.h"

namespace haloguard::monitor {
namespace {

TEST(ParseRedisUrl, AcceptsHostPortDbAndPassword) {
  auto a = ParseRedisUrl("redis://10.0.0.5:6380/2");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  EXPECT_EQ(a->password, "");
  auto b = ParseRedisUrl("redis://:s3cret@cache");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "cache");
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->password, "s3cret");
  auto c = ParseRedisUrl("redis://user:pw@[::1]:7000");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);
  EXPECT_EQ(c->password, "pw");
  EXPECT_EQ(RedisAddressName(*c), "::1:7000/0");
}

TEST(ParseRedisUrl, RefusesMalformedUrlsWithoutLeakingThePassword) {
  for (const char* bad :
       {"http://host:1", "redis://", "redis://h:0", "redis://h:99999", "redis://h:12x",
        "redis://h/notanumber", "redis://[::1", "redis://:pw@"}) {
    auto r = ParseRedisUrl(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("expected redis://"), std::string::npos);
    EXPECT_EQ(r.status().message().find("pw"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace haloguard::monitor
