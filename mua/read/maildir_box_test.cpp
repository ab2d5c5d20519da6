#include "mua/read/maildir_box.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "mua/cli/exit_status.hpp"
#include "mua/read/test_maildir.hpp"

namespace mailpipe::mua {
namespace {

namespace fs = std::filesystem;

class MaildirBoxTest : public MaildirTest {
 protected:
  void put(const std::string& relative, long second) { put_message(relative, "Subject: " + relative + "\n\nbody\n", second); }
};

TEST_F(MaildirBoxTest, ListsNewAndCurOldestFirst) {
  put("cur/200.b.host:2,S", 200);
  put("new/300.c.host", 300);
  put("new/100.a.host", 100);
  put("new/.hidden", 50);
  put("tmp/150.t.host", 150);
  fs::create_directory(fs::path(dir_.path()) / "cur" / "subdir");
  const auto entries = MaildirBox(dir_.path()).scan();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "100.a.host");
  EXPECT_TRUE(entries[0].in_new);
  EXPECT_EQ(entries[1].name, "200.b.host:2,S");
  EXPECT_FALSE(entries[1].in_new);
  EXPECT_EQ(entries[2].name, "300.c.host");
}

TEST_F(MaildirBoxTest, MarkSeenMovesNewToCurWithSeenFlag) {
  put("new/100.a.host", 100);
  const MaildirBox box(dir_.path());
  const std::string path = box.mark_seen(box.scan()[0]);
  EXPECT_EQ(path, dir_.path() + "/cur/100.a.host:2,S");
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir_.path() + "/new/100.a.host"));
  // The number stays: delivery order does not change with the name.
  EXPECT_EQ(box.scan()[0].name, "100.a.host:2,S");
}

TEST_F(MaildirBoxTest, MarkSeenInCurAddsTheFlagToOthers) {
  put("cur/100.a.host:2,RF", 100);
  put("new/101.b.host:2,T", 101);  // some deliverers set flags in new/
  const MaildirBox box(dir_.path());
  const auto entries = box.scan();
  EXPECT_EQ(box.mark_seen(entries[0]), dir_.path() + "/cur/100.a.host:2,FRS");
  EXPECT_EQ(box.mark_seen(entries[1]), dir_.path() + "/cur/101.b.host:2,ST");
  const auto after = box.scan();
  EXPECT_EQ(box.mark_seen(after[0]), dir_.path() + "/cur/100.a.host:2,FRS");  // already seen: unchanged
}

TEST_F(MaildirBoxTest, ErrorsSayWhat) {
  put("new/100.a.host", 100);
  const MaildirBox box(dir_.path());
  const auto entry = box.scan()[0];
  fs::remove(entry.path);
  EXPECT_THROW(box.mark_seen(entry), Failure);
  EXPECT_THROW(MaildirBox(dir_.path() + "/new").scan(), Failure);
}

}  // namespace
}  // namespace mailpipe::mua
