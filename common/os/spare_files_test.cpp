#include "common/os/spare_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>

#include "common/os/durable_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe {
namespace {

class SpareFilesTest : public ::testing::Test {
 protected:
  std::size_t entries() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++n;
    return n;
  }
  test_support::TempDir temp_{"spares"};
  const std::string& dir_ = temp_.path();
};

TEST_F(SpareFilesTest, RefillMakesTheTargetNumberOfEmptyTemporaries) {
  SpareFiles spares(dir_, 3, 5);
  EXPECT_EQ(spares.ready(), 0u);
  EXPECT_TRUE(spares.low());
  EXPECT_FALSE(spares.take());
  spares.refill();
  EXPECT_EQ(spares.ready(), 3u);
  EXPECT_FALSE(spares.low());
  EXPECT_EQ(entries(), 3u);
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    // Start-up code removes ".tmp-" files: a crash leaves no debris.
    EXPECT_TRUE(entry.path().filename().string().starts_with(".tmp-spare-"));
    EXPECT_EQ(std::filesystem::file_size(entry.path()), 0u);
  }
  // Delivered files are kept beyond what refill makes, up to `kept`.
  for (const char* name : {"a.msg", "b.msg", "c.msg"}) ASSERT_FALSE(write_file_durably(dir_, name, "x"));
  EXPECT_TRUE(spares.recycle(dir_ + "/a.msg"));
  EXPECT_TRUE(spares.recycle(dir_ + "/b.msg"));
  EXPECT_FALSE(spares.recycle(dir_ + "/c.msg"));  // 3 made + 2 recycled = kept
  EXPECT_EQ(spares.ready(), 3u);  // the recycled wait for a directory fsync
  spares.refill();  // has what it makes: creates nothing
  EXPECT_EQ(entries(), 6u);  // 5 spares and c.msg
}

TEST_F(SpareFilesTest, ADurableWriteUsesASpareAndLeavesOnlyItsFile) {
  SpareFiles spares(dir_, 2, 2);
  spares.refill();
  ASSERT_FALSE(write_file_durably(dir_, "a.msg", "hello", &spares));
  EXPECT_EQ(spares.ready(), 1u);  // one used
  EXPECT_EQ(std::get<std::string>(read_file(dir_ + "/a.msg")), "hello");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/a.msg").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(entries(), 2u);  // a.msg and the other spare
  // None left: the write makes its own temporary, as without spares.
  ASSERT_FALSE(write_file_durably(dir_, "b.msg", "x", &spares));
  ASSERT_FALSE(write_file_durably(dir_, "c.msg", "y", &spares));
  EXPECT_EQ(spares.ready(), 0u);
  EXPECT_EQ(std::get<std::string>(read_file(dir_ + "/c.msg")), "y");
  EXPECT_EQ(entries(), 3u);
}

TEST_F(SpareFilesTest, ARecycledFileIsHandedOutOnlyAfterADirectoryFsyncThatFollowedItsRename) {
  SpareFiles spares(dir_, 0, 1);
  ASSERT_FALSE(write_file_durably(dir_, "old.msg", std::string(1000, 'o')));
  ASSERT_TRUE(spares.recycle(dir_ + "/old.msg"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/old.msg"));
  // Until its rename is durable, reusing its inode could bring old.msg
  // back after a power cut with the new mail in it.
  EXPECT_EQ(spares.ready(), 0u);
  // The pool is full: the next one is the caller's to unlink.
  ASSERT_FALSE(write_file_durably(dir_, "other.msg", "x"));
  EXPECT_FALSE(spares.recycle(dir_ + "/other.msg"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/other.msg"));

  // A commit makes its own temporary and, with its directory fsync, the
  // recycling rename durable: the file is a spare now.
  ASSERT_FALSE(write_file_durably(dir_, "first.msg", "first", &spares));
  EXPECT_EQ(spares.ready(), 1u);
  EXPECT_EQ(entries(), 3u);  // other.msg, first.msg and the spare
  ASSERT_FALSE(write_file_durably(dir_, "second.msg", "second", &spares));
  EXPECT_EQ(spares.ready(), 0u);
  EXPECT_EQ(std::get<std::string>(read_file(dir_ + "/second.msg")), "second");
  EXPECT_EQ(entries(), 3u);  // other.msg, first.msg, second.msg
}

TEST_F(SpareFilesTest, ARecycledFileIsEmptied) {
  SpareFiles spares(dir_, 0, 1);
  ASSERT_FALSE(write_file_durably(dir_, "delivered.msg", std::string(5000, 'd')));
  ASSERT_TRUE(spares.recycle(dir_ + "/delivered.msg"));
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(std::filesystem::file_size(entry.path()), 0u) << entry.path();  // no mail lingers
  }
}

TEST_F(SpareFilesTest, ASpareTakenIsTheCallersAndTheRestGoWithTheObject) {
  std::optional<std::string> taken;
  {
    SpareFiles spares(dir_, 2, 2);
    spares.refill();
    taken = spares.take();
    ASSERT_TRUE(taken);
  }
  EXPECT_EQ(entries(), 1u);  // the one not taken is gone
  EXPECT_TRUE(std::filesystem::exists(*taken));
}

TEST_F(SpareFilesTest, ASpareRemovedBehindItsBackIsReplacedByANewTemporary) {
  SpareFiles spares(dir_, 1, 1);
  spares.refill();
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) std::filesystem::remove(entry.path());
  ASSERT_FALSE(write_file_durably(dir_, "a.msg", "still written", &spares));
  EXPECT_EQ(std::get<std::string>(read_file(dir_ + "/a.msg")), "still written");
  EXPECT_EQ(entries(), 1u);
}

}  // namespace
}  // namespace mailpipe
