#include "common/auth/sasl.hpp"

#include <gtest/gtest.h>

namespace mailpipe::auth {
namespace {

TEST(SaslPlain, DecodesThreeParts) {
  const auto c = decode_plain(std::string("admin\0demo@example.test\0secret", 30));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "admin");
  EXPECT_EQ(c->authcid, "demo@example.test");
  EXPECT_EQ(c->password, "secret");
}

TEST(SaslPlain, EmptyAuthzidIsAllowed) {
  const auto c = decode_plain(std::string("\0demo\0pw", 8));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "");
}

TEST(SaslPlain, RejectsMalformed) {
  EXPECT_FALSE(decode_plain("demo"));
  EXPECT_FALSE(decode_plain(std::string("\0demo", 5)));
  EXPECT_FALSE(decode_plain(std::string("\0\0pw", 4)));
  EXPECT_FALSE(decode_plain(std::string("\0demo\0", 6)));
  EXPECT_FALSE(decode_plain(std::string("\0demo\0pw\0x", 10)));
  EXPECT_FALSE(decode_plain(std::string("\0", 1) + std::string(256, 'u') + std::string("\0pw", 3)));
}

}  // namespace
}  // namespace mailpipe::auth
