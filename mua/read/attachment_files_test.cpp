#include "mua/read/attachment_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mua/cli/exit_status.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe::mua {
namespace {

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(SanitizeFilename, NoPathsNoHiddenNoControls) {
  EXPECT_EQ(sanitize_filename("report.pdf", "x"), "report.pdf");
  EXPECT_EQ(sanitize_filename("../../.bashrc", "x"), "bashrc");
  EXPECT_EQ(sanitize_filename("/etc/passwd", "x"), "passwd");
  EXPECT_EQ(sanitize_filename("C:\\Users\\me\\a.pdf", "x"), "a.pdf");
  EXPECT_EQ(sanitize_filename("..", "x"), "x");
  EXPECT_EQ(sanitize_filename("...hidden", "x"), "hidden");
  EXPECT_EQ(sanitize_filename("a\r\nb\x1b[31m.txt", "x"), "ab[31m.txt");
  EXPECT_EQ(sanitize_filename("bad\xff utf8", "x"), "bad utf8");
  EXPECT_EQ(sanitize_filename("invoice\u202Efdp.exe", "x"), "invoicefdp.exe");  // no bidi disguise
  EXPECT_EQ(sanitize_filename("Grüße aus Köln.bin", "x"), "Grüße aus Köln.bin");
  EXPECT_EQ(sanitize_filename("", "attachment-1"), "attachment-1");
  EXPECT_EQ(sanitize_filename("dir/", "attachment-1"), "attachment-1");
}

TEST(SanitizeFilename, LongNamesKeepTheirExtensionAndWholeCharacters) {
  std::string name;
  for (int i = 0; i < 200; ++i) name += "ü";
  const std::string clean = sanitize_filename(name + ".pdf", "x");
  EXPECT_LE(clean.size(), max_filename_bytes);
  EXPECT_TRUE(clean.ends_with("ü.pdf")) << clean;
}

TEST(SaveNewFile, NeverOverwritesAndAddsASuffix) {
  const test_support::TempDir dir{"mpmail"};
  const std::string target = dir.path() + "/out";
  EXPECT_EQ(save_new_file(target, "a.pdf", "one"), target + "/a.pdf");
  EXPECT_EQ(save_new_file(target, "a.pdf", "two"), target + "/a-1.pdf");
  EXPECT_EQ(save_new_file(target, "a.pdf", "three"), target + "/a-2.pdf");
  EXPECT_EQ(save_new_file(target, "noext", "x"), target + "/noext");
  EXPECT_EQ(save_new_file(target, "noext", "y"), target + "/noext-1");
  EXPECT_EQ(contents(target + "/a.pdf"), "one");
  EXPECT_EQ(contents(target + "/a-1.pdf"), "two");
}

TEST(SaveNewFile, DoesNotWriteThroughASymlink) {
  const test_support::TempDir dir{"mpmail"};
  const std::string victim = dir.path() + "/victim";
  std::ofstream(victim) << "precious";
  ASSERT_EQ(::symlink(victim.c_str(), (dir.path() + "/a.txt").c_str()), 0);
  EXPECT_EQ(save_new_file(dir.path(), "a.txt", "evil"), dir.path() + "/a-1.txt");
  EXPECT_EQ(contents(victim), "precious");
}

TEST(SaveNewFile, ReportsWhatFailed) {
  const test_support::TempDir dir{"mpmail"};
  std::ofstream(dir.path() + "/file") << "x";
  EXPECT_THROW(save_new_file(dir.path() + "/file/sub", "a", "x"), Failure);
}

}  // namespace
}  // namespace mailpipe::mua
