#include "mda/maildir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

namespace mailpipe::mda {
namespace {

namespace fs = std::filesystem;

class MaildirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mailpipe-maildir-XXXXXX";
    root_ = mkdtemp(pattern);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_;
};

TEST(MaildirName, FollowsTheSpecShape) {
  EXPECT_TRUE(std::regex_match(Maildir::unique_name("mx.example.test"),
                               std::regex(R"(\d+\.M\d+P\d+Q\d+R[0-9a-f]{8}\.mx\.example\.test)")));
}

TEST(MaildirName, UniqueNamesDiffer) {
  std::set<std::string> names;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(names.insert(Maildir::unique_name("h")).second);
}

TEST(MaildirName, EscapesSlashAndColonInHostname) {
  const std::string name = Maildir::unique_name("a/b:c");
  EXPECT_TRUE(name.ends_with(".a\\057b\\072c")) << name;
  EXPECT_EQ(name.find('/'), std::string::npos);
  EXPECT_EQ(name.find(':'), std::string::npos);
}

TEST_F(MaildirTest, CreatesTmpNewCur) {
  Maildir maildir(root_ + "/example.test/bob");
  ASSERT_FALSE(maildir.create_if_missing());
  for (const char* sub : {"tmp", "new", "cur"}) EXPECT_TRUE(fs::is_directory(root_ + "/example.test/bob/" + sub));
}

TEST_F(MaildirTest, DeliverLandsInNewWithNothingLeftInTmp) {
  Maildir maildir(root_ + "/bob");
  ASSERT_FALSE(maildir.create_if_missing());
  auto delivered = maildir.deliver("hello\n");
  ASSERT_TRUE(std::holds_alternative<std::string>(delivered));
  const std::string name = std::get<std::string>(delivered);
  EXPECT_EQ(std::get<std::string>(read_file(root_ + "/bob/new/" + name)), "hello\n");
  EXPECT_TRUE(fs::is_empty(root_ + "/bob/tmp"));
}

TEST_F(MaildirTest, DeliverWithoutMaildirIsAnError) {
  Maildir maildir(root_ + "/nobody");
  auto delivered = maildir.deliver("x");
  ASSERT_TRUE(std::holds_alternative<IoError>(delivered));
  EXPECT_EQ(std::get<IoError>(delivered).err, ENOENT);
}

}  // namespace
}  // namespace mailpipe::mda
