#include "common/auth/passwd_file.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "tests/support/error_text.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe::auth {
namespace {

// `openssl passwd -6 -salt saltsalt demo`
constexpr const char* demo_hash =
    "$6$saltsalt$..2OS7YQ9H8nOZV3zrRCC2W6gKqvDdWTzallpPfaVczvmUWzyIYqU0TarsE5PYaJ7eNXes2cIPl//BAZe0z3F1";

std::string sample() {
  return std::string("# users\n\ndemo@example.test:{SHA512-CRYPT}") + demo_hash +
         "::::::\nbob@example.test:{PLAIN}bobpass\r\n";
}

std::string error_of(const std::string& text) {
  return test_support::error_text([&] { PasswdFile::parse(text, "f"); });
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
  EXPECT_EQ(test_support::error_text([] { PasswdFile::parse("ok@x:{PLAIN}a\nbroken line\n", "users.passwd"); }),
            "users.passwd:2: expected user:{SCHEME}password");
  for (const char* bad :
       {"a@x:{MD4}abc\n", "a@x:nohash\n", "a@x:{SHA512-CRYPT}notcrypt\n", "a@x:{PLAIN}a\nA@X:{PLAIN}b\n"}) {
    EXPECT_THROW(PasswdFile::parse(bad, "f"), std::runtime_error) << bad;
  }
}

TEST(PasswdFile, ErrorsNeverContainTheSecret) {
  for (const char* text : {"a@x:{NOPE}topsecret\n", "a@x:{SHA512-CRYPT}topsecret\n", "a@x:topsecret\n",
                           "a@x:{SHA512-CRYPT}$6$topsecret$!!\n", "a@x:{PLAIN}topsecret\na@x:{PLAIN}topsecret\n"}) {
    const std::string message = error_of(text);
    EXPECT_NE(message, "accepted") << text;
    EXPECT_EQ(message.find("topsecret"), std::string::npos) << message;
  }
}

TEST(PasswdFile, MissingFileIsAnError) { EXPECT_THROW(PasswdFile::load("/nonexistent/passwd"), std::runtime_error); }

// Hashes `password` with the given crypt prefix ("$6$", "$2b$", ...), the
// way an operator's tool would.
std::string hash_with(const char* prefix, const std::string& password) {
  auto data = std::make_unique<crypt_data>();
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // Low costs keep the test fast; rcount 0 is each method's default.
  const unsigned long cost = std::string(prefix) == "$2b$" ? 4 : (std::string(prefix) == "$y$" ? 0 : 1000);
  if (crypt_gensalt_rn(prefix, cost, nullptr, 0, setting, sizeof setting) == nullptr) return "";
  const char* result = crypt_rn(password.c_str(), setting, data.get(), sizeof(crypt_data));
  return result && result[0] != '*' ? std::string(result) : std::string();
}

TEST(PasswdFile, VerifiesEveryCryptSchemeWeList) {
  const std::pair<const char*, const char*> schemes[] = {
      {"SHA512-CRYPT", "$6$"}, {"SHA256-CRYPT", "$5$"}, {"BLF-CRYPT", "$2b$"}, {"YESCRYPT", "$y$"}, {"CRYPT", "$6$"}};
  for (const auto& [scheme, prefix] : schemes) {
    const std::string hash = hash_with(prefix, "s3cret pass");
    ASSERT_FALSE(hash.empty()) << scheme;
    const auto file = PasswdFile::parse(std::string("u@x.test:{") + scheme + "}" + hash + "\n", "t");
    EXPECT_TRUE(file.verify("u@x.test", "s3cret pass")) << scheme;
    EXPECT_FALSE(file.verify("u@x.test", "s3cret pas")) << scheme;
    EXPECT_FALSE(file.verify("u@x.test", "s3cret pass ")) << scheme;
  }
}

TEST(PasswdFile, SchemeNamesAreCaseInsensitive) {
  const auto file = PasswdFile::parse(std::string("a@x:{sha512-crypt}") + demo_hash + "\nb@x:{plain}pw\n", "t");
  EXPECT_TRUE(file.verify("a@x", "demo"));
  EXPECT_TRUE(file.verify("b@x", "pw"));
}

TEST(PasswdFile, BareCryptHashIsDovecotsDefaultScheme) {
  const auto file = PasswdFile::parse(std::string("a@x:") + demo_hash + ":1000:1000::/home/a::\n", "t");
  EXPECT_TRUE(file.verify("a@x", "demo"));
}

TEST(PasswdFile, ExtraFieldsAreIgnored) {
  const auto file = PasswdFile::parse("a@x:{PLAIN}pw:1000:1000:Gecos Name:/home/a:/bin/false:userdb_quota=1G\n", "t");
  EXPECT_TRUE(file.verify("a@x", "pw"));
  EXPECT_FALSE(file.verify("a@x", "pw:1000"));
}

TEST(PasswdFile, PasswordWithNulNeverMatches) {
  // crypt(3) stops at a NUL, so "demo\0x" must not pass for "demo".
  const auto file = PasswdFile::parse(sample(), "test");
  EXPECT_FALSE(file.verify("demo@example.test", std::string("demo\0x", 6)));
  EXPECT_FALSE(file.verify("demo@example.test", std::string("demo\0", 5)));
  EXPECT_FALSE(file.verify("bob@example.test", std::string("bobpass\0", 8)));
}

TEST(PasswdFile, OverlongPasswordIsRefusedNotTruncated) {
  const std::string long_password(600, 'p');
  const auto file = PasswdFile::parse("a@x:{PLAIN}" + long_password + "\nb@x:" + hash_with("$6$", long_password.substr(0, 511)) + "\n", "t");
  EXPECT_FALSE(file.verify("a@x", long_password));
  EXPECT_TRUE(file.verify("b@x", long_password.substr(0, 511)));
  EXPECT_FALSE(file.verify("b@x", long_password));
}

TEST(PasswdFile, CommentsBlankLinesAndCrlf) {
  const auto file = PasswdFile::parse("# comment\r\n\r\n   \n\t# indented comment\na@x:{PLAIN}pw\r\n# trailing", "t");
  EXPECT_EQ(file.size(), 1u);
  EXPECT_TRUE(file.verify("a@x", "pw"));
  EXPECT_EQ(PasswdFile::parse("", "t").size(), 0u);
  EXPECT_EQ(PasswdFile::parse("a@x:{PLAIN}pw", "t").size(), 1u);  // no final newline
}

TEST(PasswdFile, UnknownUserAndEmptyPassword) {
  const auto file = PasswdFile::parse(sample(), "test");
  EXPECT_FALSE(file.has_user("nobody@example.test"));
  EXPECT_FALSE(file.verify("", ""));
  EXPECT_FALSE(file.verify("demo@example.test", ""));
  EXPECT_FALSE(file.verify("demo", "demo"));  // no partial match on the local part
}

TEST(PasswdFile, EachBadLineSaysWhatIsWrong) {
  test_support::expect_errors(error_of, {
      {"a@x:{PLAIN}\n", "f:1: empty password"},
      {"a@x:\n", "f:1: password must start with {SCHEME}"},
      {":{PLAIN}pw\n", "f:1: expected user:{SCHEME}password"},
      {"a b:{PLAIN}pw\n", "f:1: user name with a space or control byte"},
      {"a@x:{SHA512-CRYPT\n", "f:1: unterminated {SCHEME}"},
      {"\n#c\na@x:{MD4}abc\n", "f:3: unsupported password scheme {md4}"},
      {"a@x:{SHA512-CRYPT}$6$salt$bad!chars\n", "f:1: malformed or unsupported crypt(3) hash"},
      {"a@x:{CRYPT}$9$what\n", "f:1: malformed or unsupported crypt(3) hash"},
      {std::string("a@x:{PLAIN}p\0w\n", 15), "f:1: NUL byte in line"},
      {"a@x:{PLAIN}a\nA@X:{PLAIN}b\n", "f:2: duplicate user a@x"},
  });
}

TEST(PasswdFile, SchemeShownInErrorsIsBounded) {
  const std::string message = error_of("a@x:{" + std::string(200, 's') + "}pw\n");
  EXPECT_LT(message.size(), 100u);
}

TEST(PasswdFile, LoadsFromDisk) {
  const test_support::TempDir dir("passwd_file_test");
  const std::string path = dir.path() + "/passwd";
  std::ofstream(path) << "demo@example.test:{SHA512-CRYPT}" << demo_hash << "\n";
  const auto file = PasswdFile::load(path);
  EXPECT_TRUE(file.verify("demo@example.test", "demo"));
  std::ofstream(path) << "ok@x:{PLAIN}a\nbroken\n";
  EXPECT_EQ(test_support::error_text([&] { PasswdFile::load(path); }), path + ":2: expected user:{SCHEME}password");
}

TEST(PasswdFile, DirectoryIsNotAPasswdFile) { EXPECT_THROW(PasswdFile::load("/tmp"), std::runtime_error); }

}  // namespace
}  // namespace mailpipe::auth
