#include "common/durable_file.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace mailpipe {
namespace {

class DurableFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mailpipe-durable-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(DurableFile, WriteThenReadBack) {
  ASSERT_FALSE(write_file_durably(dir_, "a.msg", std::string("hello\0world", 11)));
  auto data = read_file(dir_ + "/a.msg");
  ASSERT_TRUE(std::holds_alternative<std::string>(data));
  EXPECT_EQ(std::get<std::string>(data), std::string("hello\0world", 11));
}

TEST_F(DurableFile, LeavesNoTemporaryFiles) {
  ASSERT_FALSE(write_file_durably(dir_, "a.msg", "x"));
  ASSERT_FALSE(write_file_durably(dir_, "a.msg", "y"));  // replace
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);
  EXPECT_EQ(std::get<std::string>(read_file(dir_ + "/a.msg")), "y");
}

TEST_F(DurableFile, FileIsPrivate) {
  ASSERT_FALSE(write_file_durably(dir_, "a.msg", "x"));
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/a.msg").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(DurableFile, MissingDirectoryIsAnErrorNamingThePath) {
  auto error = write_file_durably(dir_ + "/missing", "a.msg", "x");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->err, ENOENT);
  EXPECT_NE(error->what.find("/missing/"), std::string::npos) << error->what;
}

TEST_F(DurableFile, RemoveIsIdempotent) {
  ASSERT_FALSE(write_file_durably(dir_, "a.msg", "x"));
  EXPECT_FALSE(remove_file_durably(dir_, "a.msg"));
  EXPECT_FALSE(remove_file_durably(dir_, "a.msg"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/a.msg"));
}

TEST_F(DurableFile, MakeDirectoriesCreatesParents) {
  EXPECT_FALSE(make_directories(dir_ + "/a/b/c"));
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/a/b/c"));
  EXPECT_FALSE(make_directories(dir_ + "/a/b/c"));  // already there
}

TEST_F(DurableFile, MakeDirectoriesRefusesAFileInTheWay) {
  ASSERT_FALSE(write_file_durably(dir_, "f", "x"));
  auto error = make_directories(dir_ + "/f/sub");
  ASSERT_TRUE(error);
}

}  // namespace
}  // namespace mailpipe
