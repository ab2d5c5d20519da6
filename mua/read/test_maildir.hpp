#pragma once
// A test fixture for the read side: a Maildir (new/, cur/, tmp/) in a fresh
// temporary directory, and message files with a chosen mtime (the order
// `mpmail list` shows them in).
#include <gtest/gtest.h>
#include <sys/time.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace mailpipe::mua {

class MaildirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* sub : {"new", "cur", "tmp"}) std::filesystem::create_directories(std::filesystem::path(dir_.path()) / sub);
  }
  // A message file at `relative` with an mtime of `second` since the epoch.
  void put_message(const std::string& relative, const std::string& content, long second) {
    const std::string path = dir_.path() + "/" + relative;
    std::ofstream(path, std::ios::binary) << content;
    const timeval times[2] = {{second, 0}, {second, 0}};
    ASSERT_EQ(::utimes(path.c_str(), times), 0);
  }
  test_support::TempDir dir_{"mpmail"};
};

}  // namespace mailpipe::mua
