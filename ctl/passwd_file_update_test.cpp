#include "ctl/passwd_file_update.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/auth/passwd_file.hpp"
#include "ctl/exit_status.hpp"
#include "ctl/passwd_edit.hpp"
#include "ctl/password_hash.hpp"
#include "ctl/password_input.hpp"
#include "tests/support/temp_dir.hpp"

namespace mailpipe::ctl {
namespace {

class PasswdFileUpdateTest : public ::testing::Test {
 protected:
  void write(const std::string& text, mode_t mode) {
    std::ofstream(path_, std::ios::binary) << text;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  Exit exit_of(const PasswdFileUpdate& update, const std::function<std::string(std::string_view)>& edit) {
    try {
      update_passwd_file(update, edit);
    } catch (const Failure& failure) {
      message_ = failure.what();
      return failure.exit();
    }
    return Exit::ok;
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  const test_support::TempDir dir_{"ctl-passwd"};
  const std::string path_ = dir_.path() + "/passwd";
  std::string message_;
};

std::string hashed(const char* password, HashScheme scheme) {
  Secret secret;
  for (const char* p = password; *p != '\0'; ++p) secret.push_back(*p);
  return hash_password(secret, scheme);
}

TEST_F(PasswdFileUpdateTest, AddedUserLogsInWithTheNewPassword) {
  const std::string before = "# users\ndemo@example.test:{PLAIN}demo:1000:1000::/home/demo::\n";
  write(before, 0640);
  const std::string secret = hashed("s3cret pass", HashScheme::yescrypt);
  EXPECT_TRUE(secret.starts_with("{CRYPT}$y$")) << secret;
  update_passwd_file({path_, false, {}}, [&](std::string_view text) { return add_user(text, "new@example.test", secret); });

  EXPECT_EQ(contents(), before + "new@example.test:" + secret + "\n");
  const auto users = auth::PasswdFile::load(path_);
  EXPECT_TRUE(users.verify("new@example.test", "s3cret pass"));
  EXPECT_TRUE(users.verify("NEW@example.test", "s3cret pass"));
  EXPECT_FALSE(users.verify("new@example.test", "s3cret pas"));
  EXPECT_TRUE(users.verify("demo@example.test", "demo"));
}

TEST_F(PasswdFileUpdateTest, Sha512CryptIsAcceptedToo) {
  write("", 0600);
  const std::string secret = hashed("pw", HashScheme::sha512_crypt);
  EXPECT_TRUE(secret.starts_with("{SHA512-CRYPT}$6$")) << secret;
  update_passwd_file({path_, false, {}}, [&](std::string_view text) { return add_user(text, "a@b.test", secret); });
  EXPECT_TRUE(auth::PasswdFile::load(path_).verify("a@b.test", "pw"));
}

TEST_F(PasswdFileUpdateTest, KeepsModeAndLeavesNoTemporaryBehind) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file another group";
  write("a@b.test:{PLAIN}a\n", 0640);
  ASSERT_EQ(::chown(path_.c_str(), 0, 12), 0);  // any group but root's
  struct stat before {};
  ASSERT_EQ(::stat(path_.c_str(), &before), 0);
  update_passwd_file({path_, false, {}}, [](std::string_view text) { return remove_user(text, "a@b.test"); });
  struct stat after {};
  ASSERT_EQ(::stat(path_.c_str(), &after), 0);
  EXPECT_EQ(after.st_mode & 07777, 0640u);
  EXPECT_EQ(after.st_gid, 12u);
  EXPECT_NE(after.st_ino, before.st_ino);  // replaced by rename, not rewritten in place
  EXPECT_EQ(contents(), "");
  EXPECT_EQ(entries(), (std::vector<std::string>{"passwd", "passwd.lock"}));
}

TEST_F(PasswdFileUpdateTest, RefusalLeavesTheFileUntouched) {
  const std::string before = "a@b.test:{PLAIN}a\n";
  write(before, 0600);
  EXPECT_EQ(exit_of({path_, false, {}}, [](std::string_view text) { return add_user(text, "a@b.test", "{PLAIN}x"); }),
            Exit::failed);
  EXPECT_EQ(contents(), before);
}

TEST_F(PasswdFileUpdateTest, RefusesToWriteAFileTheMsaWouldRefuse) {
  const std::string before = "a@b.test:{PLAIN}a\nbroken line\n";
  write(before, 0600);
  EXPECT_EQ(exit_of({path_, false, {}}, [](std::string_view text) { return add_user(text, "c@b.test", "{PLAIN}c"); }),
            Exit::failed);
  EXPECT_NE(message_.find(path_ + ":2:"), std::string::npos) << message_;
  EXPECT_EQ(contents(), before);
}

TEST_F(PasswdFileUpdateTest, MissingFileIsMadeOnlyByAdd) {
  EXPECT_EQ(exit_of({path_, false, {}}, [](std::string_view text) { return remove_user(text, "a@b.test"); }),
            Exit::failed);
  EXPECT_NE(message_.find("does not exist"), std::string::npos) << message_;
  update_passwd_file({path_, true, {}}, [](std::string_view text) { return add_user(text, "a@b.test", "{PLAIN}a"); });
  EXPECT_EQ(contents(), "a@b.test:{PLAIN}a\n");
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST_F(PasswdFileUpdateTest, WaitsBoundedForAnotherRunHoldingTheLock) {
  write("", 0600);
  const int other = ::open((path_ + ".lock").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(other, 0);
  ASSERT_EQ(::flock(other, LOCK_EX), 0);
  const PasswdFileUpdate update{path_, false, std::chrono::milliseconds(200)};
  EXPECT_EQ(exit_of(update, [](std::string_view text) { return add_user(text, "a@b.test", "{PLAIN}a"); }), Exit::failed);
  EXPECT_NE(message_.find("another mailpipectl"), std::string::npos) << message_;
  EXPECT_EQ(contents(), "");
  ::close(other);  // released: now it goes through
  EXPECT_EQ(exit_of(update, [](std::string_view text) { return add_user(text, "a@b.test", "{PLAIN}a"); }), Exit::ok);
}

TEST(PasswordHash, SaltsDiffer) {
  EXPECT_NE(hashed("same", HashScheme::yescrypt), hashed("same", HashScheme::yescrypt));
}

TEST(PasswordHash, SchemeNames) {
  EXPECT_EQ(hash_scheme_named("yescrypt"), HashScheme::yescrypt);
  EXPECT_EQ(hash_scheme_named("SHA512-CRYPT"), HashScheme::sha512_crypt);
  EXPECT_EQ(hash_scheme_named("md5-crypt"), std::nullopt);
}

class PasswordLine : public ::testing::Test {
 protected:
  // Feeds `input` through a pipe, as --password-stdin reads it.
  Exit read(const std::string& input, Secret& into) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    EXPECT_EQ(::write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    ::close(fds[1]);
    Exit exit = Exit::ok;
    try {
      read_password_line(fds[0], into);
    } catch (const Failure& failure) {
      exit = failure.exit();
    }
    ::close(fds[0]);
    return exit;
  }
};

TEST_F(PasswordLine, ReadsOneLine) {
  Secret secret;
  EXPECT_EQ(read("pass word\nsecond line\n", secret), Exit::ok);
  EXPECT_EQ(secret.view(), "pass word");
  EXPECT_EQ(read("crlf\r\n", secret), Exit::ok);
  EXPECT_EQ(secret.view(), "crlf");
  EXPECT_EQ(read("no newline", secret), Exit::ok);
  EXPECT_EQ(secret.view(), "no newline");
}

TEST_F(PasswordLine, RefusesEmptyNulAndTooLong) {
  Secret secret;
  EXPECT_EQ(read("\n", secret), Exit::failed);
  EXPECT_EQ(read("", secret), Exit::failed);
  EXPECT_EQ(read(std::string("a\0b\n", 4), secret), Exit::failed);
  EXPECT_EQ(read(std::string(Secret::max_size, 'x') + "\n", secret), Exit::ok);
  EXPECT_EQ(read(std::string(Secret::max_size + 1, 'x') + "\n", secret), Exit::failed);
  EXPECT_TRUE(secret.empty());
}

}  // namespace
}  // namespace mailpipe::ctl
