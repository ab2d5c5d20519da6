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

TEST(SaslPlain, PartsUpTo255OctetsAreAccepted) {
  const std::string u(255, 'u'), p(255, 'p'), z(255, 'z');
  const auto c = decode_plain(z + std::string(1, '\0') + u + std::string(1, '\0') + p);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, z);
  EXPECT_EQ(c->authcid, u);
  EXPECT_EQ(c->password, p);
  EXPECT_FALSE(decode_plain(std::string("\0u\0", 3) + std::string(256, 'p')));
  EXPECT_FALSE(decode_plain(std::string(256, 'z') + std::string("\0u\0p", 4)));
}

TEST(SaslPlain, PasswordKeepsSpacesAndUtf8) {
  const auto c = decode_plain(std::string("\0demo\0 p\xC3\xA4ss word ", 18));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->password, " p\xC3\xA4ss word ");
}

TEST(SaslPlain, EmptyMessageIsRefused) {
  EXPECT_FALSE(decode_plain(""));
  EXPECT_FALSE(decode_plain(std::string("\0\0", 2)));
}

TEST(SaslPlain, AuthzidIsReturnedForTheCallerToCheck) {
  // The session refuses an authzid that differs from authcid; the decoder
  // only reports it.
  const auto c = decode_plain(std::string("other\0demo\0pw", 13));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "other");
  EXPECT_EQ(c->authcid, "demo");
}

}  // namespace
}  // namespace mailpipe::auth
