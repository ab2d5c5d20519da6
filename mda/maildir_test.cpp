#include "mda/maildir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>
#include <set>

#include "tests/support/temp_dir.hpp"

namespace mailpipe::mda {
namespace {

namespace fs = std::filesystem;

class MaildirTest : public ::testing::Test {
 protected:
  const test_support::TempDir dir_{"maildir"};
  const std::string root_ = dir_.path();
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

TEST_F(MaildirTest, CreateIfMissingIsIdempotentAndPrivate) {
  Maildir maildir(root_ + "/bob");
  ASSERT_FALSE(maildir.create_if_missing());
  ASSERT_FALSE(maildir.create_if_missing());
  for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
    struct stat st {};
    ASSERT_EQ(stat((root_ + "/bob" + sub).c_str(), &st), 0) << sub;
    EXPECT_EQ(st.st_mode & 0777, 0700u) << sub;
  }
}

TEST_F(MaildirTest, DeliveredFileIsPrivateAndBytesExact) {
  Maildir maildir(root_ + "/bob");
  ASSERT_FALSE(maildir.create_if_missing());
  static constexpr char raw[] = "To: bob\n\nbinary \0\xff bytes\n";
  const std::string content(raw, sizeof raw - 1);  // keeps the NUL
  const std::string name = std::get<std::string>(maildir.deliver(content));
  EXPECT_EQ(std::get<std::string>(read_file(root_ + "/bob/new/" + name)), content);
  struct stat st {};
  ASSERT_EQ(stat((root_ + "/bob/new/" + name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(MaildirTest, NeverOverwritesAMessageAlreadyInNew) {
  Maildir maildir(root_ + "/bob");
  ASSERT_FALSE(maildir.create_if_missing());
  ASSERT_TRUE(std::holds_alternative<std::string>(maildir.deliver_as("first\n", "1.M1P1Q1Rdeadbeef.h")));
  auto second = maildir.deliver_as("second\n", "1.M1P1Q1Rdeadbeef.h");
  ASSERT_TRUE(std::holds_alternative<IoError>(second));
  EXPECT_EQ(std::get<IoError>(second).err, EEXIST);
  EXPECT_EQ(std::get<std::string>(read_file(root_ + "/bob/new/1.M1P1Q1Rdeadbeef.h")), "first\n");
  EXPECT_TRUE(fs::is_empty(root_ + "/bob/tmp"));
}

TEST_F(MaildirTest, ManyDeliveriesGetDistinctFiles) {
  Maildir maildir(root_ + "/bob");
  ASSERT_FALSE(maildir.create_if_missing());
  std::set<std::string> names;
  for (int i = 0; i < 50; ++i) names.insert(std::get<std::string>(maildir.deliver("x\n")));
  EXPECT_EQ(names.size(), 50u);
  EXPECT_EQ(std::distance(fs::directory_iterator(root_ + "/bob/new"), fs::directory_iterator()), 50);
}

TEST_F(MaildirTest, RefusesANameThatIsNotOneComponent) {
  Maildir maildir(root_ + "/bob");
  ASSERT_FALSE(maildir.create_if_missing());
  for (const char* name : {"", "../escape", ".hidden", "a/b"}) {
    auto result = maildir.deliver_as("x", name);
    ASSERT_TRUE(std::holds_alternative<IoError>(result)) << name;
    EXPECT_EQ(std::get<IoError>(result).err, EINVAL) << name;
  }
  EXPECT_FALSE(fs::exists(root_ + "/bob/escape"));
}

}  // namespace
}  // namespace mailpipe::mda
