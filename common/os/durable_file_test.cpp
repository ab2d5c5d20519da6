#include "common/os/durable_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace mailpipe {
namespace {

class DurableFile : public ::testing::Test {
 protected:
  test_support::TempDir temp_{"durable"};
  const std::string& dir_ = temp_.path();
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

TEST_F(DurableFile, WriteReplacesExistingFileAtomically) {
  ASSERT_FALSE(write_file_durably(dir_, "a.state", "old"));
  ASSERT_FALSE(write_file_durably(dir_, "a.state", "new"));
  EXPECT_EQ(std::get<std::string>(read_file(dir_ + "/a.state")), "new");
}

TEST_F(DurableFile, RefusesNamesThatAreNotOneComponent) {
  for (const char* name : {"", ".", "..", "../escape", "sub/file"}) {
    auto error = write_file_durably(dir_, name, "x");
    ASSERT_TRUE(error) << name;
    EXPECT_EQ(error->err, EINVAL) << name;
    EXPECT_TRUE(remove_file_durably(dir_, name)) << name;
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/escape"));
}

TEST_F(DurableFile, EmptyDataMakesEmptyFile) {
  ASSERT_FALSE(write_file_durably(dir_, "empty", ""));
  EXPECT_EQ(std::get<std::string>(read_file(dir_ + "/empty")), "");
}

TEST_F(DurableFile, LargeDataRoundTrips) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131);
  ASSERT_FALSE(write_file_durably(dir_, "big", big));
  EXPECT_EQ(std::get<std::string>(read_file(dir_ + "/big")), big);
}

// /dev/full answers every write with ENOSPC: the disk-full path callers map
// to "452 4.3.1" must surface the errno, not crash or report success.
TEST(DurableWrite, DiskFullIsReportedAsEnospc) {
  const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "no /dev/full";
  auto error = write_all_and_sync(fd, "some bytes", "/dev/full");
  ::close(fd);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->err, ENOSPC);
  EXPECT_EQ(error->what, "write /dev/full: No space left on device");
}

TEST_F(DurableFile, ReadMissingFileIsEnoent) {
  auto data = read_file(dir_ + "/nothing");
  ASSERT_TRUE(std::holds_alternative<IoError>(data));
  EXPECT_EQ(std::get<IoError>(data).err, ENOENT);
}

TEST_F(DurableFile, MakeDirectoriesUsesTheGivenMode) {
  ASSERT_FALSE(make_directories(dir_ + "/x/y", 0700));
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/x/y").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(DurableFile, FsyncDirectoryOfMissingDirectoryFails) {
  auto error = fsync_directory(dir_ + "/missing");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->err, ENOENT);
}

TEST_F(DurableFile, ConcurrentWritersShareDirectoryFsyncsAndAllSucceed) {
  // write_file_durably ends with the group-committed directory fsync.
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 16; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (write_file_durably(dir_, "f" + std::to_string(t) + "-" + std::to_string(i), "data")) ++failures;
      }
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(failures.load(), 0);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 320u);
}

TEST_F(DurableFile, EveryConcurrentCallerOfAFailingDirectoryFsyncGetsTheError) {
  std::vector<std::thread> callers;
  std::atomic<int> errors{0};
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (auto error = fsync_directory(dir_ + "/missing"); error && error->err == ENOENT) ++errors;
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(errors.load(), 80);
  EXPECT_FALSE(fsync_directory(dir_));  // and the next one on a good directory is fine
}

}  // namespace
}  // namespace mailpipe
