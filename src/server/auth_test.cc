// ApiKeys tests: bearer parsing, constant-time comparison semantics, key sources and errors.
#include "server/auth.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace haloguard::server {
namespace {

TEST(Auth, ConstantTimeEqualsSemantics) {
  EXPECT_TRUE(ConstantTimeEquals("secret-key-1", "secret-key-1"));
  EXPECT_FALSE(ConstantTimeEquals("secret-key-2", "secret-key-1"));
  EXPECT_FALSE(ConstantTimeEquals("secret-key", "secret-key-1"));     // prefix
  EXPECT_FALSE(ConstantTimeEquals("secret-key-11", "secret-key-1"));  // extension
  EXPECT_FALSE(ConstantTimeEquals("", "secret-key-1"));
  EXPECT_FALSE(ConstantTimeEquals("", ""));  // an empty secret never matches
}

TEST(Auth, BearerCheck) {
  StatusOr<ApiKeys> keys = ApiKeys::Load({"alpha-key-123, beta-key-4567"}, "");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_TRUE(keys->enabled());
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_TRUE(keys->Check("Bearer alpha-key-123"));
  EXPECT_TRUE(keys->Check("bearer beta-key-4567"));
  EXPECT_TRUE(keys->Check("BEARER   beta-key-4567  "));
  EXPECT_FALSE(keys->Check("Basic alpha-key-123"));
  EXPECT_FALSE(keys->Check("Bearer alpha-key-12"));
  EXPECT_FALSE(keys->Check("Bearer "));
  EXPECT_FALSE(keys->Check(""));
  EXPECT_FALSE(keys->Check("alpha-key-123"));
}

TEST(Auth, KeyFileAndErrors) {
  const std::string path = ::testing::TempDir() + "/hg_keys.txt";
  {
    std::ofstream f(path);
    f << "# production keys\n\n  file-key-0001  \r\nfile-key-0002\n";
  }
  StatusOr<ApiKeys> keys = ApiKeys::Load({}, path);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_TRUE(keys->Check("Bearer file-key-0001"));
  std::remove(path.c_str());

  EXPECT_EQ(ApiKeys::Load({}, path).status().code(), StatusCode::kNotFound);
  Status short_key = ApiKeys::Load({"abc"}, "").status();
  EXPECT_EQ(short_key.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(short_key.message().find("expected at least 8 bytes, got 3"), std::string::npos);
  EXPECT_EQ(ApiKeys::Load({"has space in it"}, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ApiKeys::Load({}, "").value().enabled());
}

}  // namespace
}  // namespace haloguard::server
