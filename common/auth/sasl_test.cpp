#include "common/auth/sasl.hpp"

#include <gtest/gtest.h>

namespace mailpipe::auth {
namespace {

// "[authzid] [authcid] [password]", or "refused".
std::string decoded(const std::string& message) {
  const auto c = decode_plain(message);
  return c ? "[" + c->authzid + "] [" + c->authcid + "] [" + c->password + "]" : "refused";
}

void expect_refused(std::initializer_list<std::string> messages) {
  for (const auto& message : messages) EXPECT_FALSE(decode_plain(message)) << testing::PrintToString(message);
}

TEST(SaslPlain, DecodesThreeParts) {
  EXPECT_EQ(decoded(std::string("admin\0demo@example.test\0secret", 30)), "[admin] [demo@example.test] [secret]");
}

TEST(SaslPlain, EmptyAuthzidIsAllowed) { EXPECT_EQ(decoded(std::string("\0demo\0pw", 8)), "[] [demo] [pw]"); }

TEST(SaslPlain, RejectsMalformed) {
  expect_refused({
      "demo",
      std::string("\0demo", 5),
      std::string("\0\0pw", 4),
      std::string("\0demo\0", 6),
      std::string("\0demo\0pw\0x", 10),
      std::string("\0", 1) + std::string(256, 'u') + std::string("\0pw", 3),
  });
}

TEST(SaslPlain, PartsUpTo255OctetsAreAccepted) {
  const std::string u(255, 'u'), p(255, 'p'), z(255, 'z');
  EXPECT_EQ(decoded(z + std::string(1, '\0') + u + std::string(1, '\0') + p), "[" + z + "] [" + u + "] [" + p + "]");
  expect_refused({std::string("\0u\0", 3) + std::string(256, 'p'), std::string(256, 'z') + std::string("\0u\0p", 4)});
}

TEST(SaslPlain, PasswordKeepsSpacesAndUtf8) {
  EXPECT_EQ(decoded(std::string("\0demo\0 p\xC3\xA4ss word ", 18)), "[] [demo] [ p\xC3\xA4ss word ]");
}

TEST(SaslPlain, EmptyMessageIsRefused) { expect_refused({"", std::string("\0\0", 2)}); }

TEST(SaslPlain, AuthzidIsReturnedForTheCallerToCheck) {
  // The session refuses an authzid that differs from authcid; the decoder
  // only reports it.
  EXPECT_EQ(decoded(std::string("other\0demo\0pw", 13)), "[other] [demo] [pw]");
}

}  // namespace
}  // namespace mailpipe::auth
