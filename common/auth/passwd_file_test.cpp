#include "common/auth/passwd_file.hpp"

#include <gtest/gtest.h>

namespace mailpipe::auth {
namespace {

// `openssl passwd -6 -salt saltsalt demo`
constexpr const char* demo_hash =
    "$6$saltsalt$..2OS7YQ9H8nOZV3zrRCC2W6gKqvDdWTzallpPfaVczvmUWzyIYqU0TarsE5PYaJ7eNXes2cIPl//BAZe0z3F1";

std::string sample() {
  return std::string("# users\n\ndemo@example.test:{SHA512-CRYPT}") + demo_hash +
         "::::::\nbob@example.test:{PLAIN}bobpass\r\n";
}

TEST(PasswdFile, VerifiesSha512Crypt) {
  const auto file = PasswdFile::parse(sample(), "test");
  EXPECT_EQ(file.size(), 2u);
  EXPECT_TRUE(file.verify("demo@example.test", "demo"));
  EXPECT_FALSE(file.verify("demo@example.test", "Demo"));
  EXPECT_FALSE(file.verify("demo@example.test", ""));
}

TEST(PasswdFile, UserNamesAreCaseInsensitive) {
  const auto file = PasswdFile::parse(sample(), "test");
  EXPECT_TRUE(file.verify("DEMO@Example.Test", "demo"));
  EXPECT_TRUE(file.has_user("Bob@example.test"));
}

TEST(PasswdFile, PlainScheme) {
  const auto file = PasswdFile::parse(sample(), "test");
  EXPECT_TRUE(file.verify("bob@example.test", "bobpass"));
  EXPECT_FALSE(file.verify("bob@example.test", "bobpas"));
}

TEST(PasswdFile, UnknownUserFails) {
  const auto file = PasswdFile::parse(sample(), "test");
  EXPECT_FALSE(file.verify("nobody@example.test", "demo"));
}

TEST(PasswdFile, BadLinesNameTheLine) {
  try {
    PasswdFile::parse("ok@x:{PLAIN}a\nbroken line\n", "users.passwd");
    FAIL() << "accepted a bad line";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "users.passwd:2: expected user:{SCHEME}password");
  }
  EXPECT_THROW(PasswdFile::parse("a@x:{MD4}abc\n", "f"), std::runtime_error);
  EXPECT_THROW(PasswdFile::parse("a@x:nohash\n", "f"), std::runtime_error);
  EXPECT_THROW(PasswdFile::parse("a@x:{SHA512-CRYPT}notcrypt\n", "f"), std::runtime_error);
  EXPECT_THROW(PasswdFile::parse("a@x:{PLAIN}a\nA@X:{PLAIN}b\n", "f"), std::runtime_error);
}

TEST(PasswdFile, ErrorsNeverContainTheSecret) {
  try {
    PasswdFile::parse("a@x:{NOPE}topsecret\n", "f");
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos);
  }
}

TEST(PasswdFile, MissingFileIsAnError) { EXPECT_THROW(PasswdFile::load("/nonexistent/passwd"), std::runtime_error); }

}  // namespace
}  // namespace mailpipe::auth
